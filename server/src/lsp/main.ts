/**
 * Entry point of the bundled server (dist/server.js). vscode-languageserver picks the transport
 * from the command line: `--stdio` for editors and tests, `--node-ipc` when VS Code starts it.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { describeError } from './log';
import { createServer } from './server';

const connection = createConnection(ProposedFeatures.all);

// Last line of defence: a stray exception outside a handler is logged, not fatal.
process.on('uncaughtException', (error) => connection.console.error(`uncaught exception: ${describeError(error)}`));
process.on('unhandledRejection', (reason) => connection.console.error(`unhandled rejection: ${describeError(reason)}`));

createServer(connection);
connection.listen();
