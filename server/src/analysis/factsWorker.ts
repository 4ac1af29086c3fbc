/**
 * Worker thread of the facts pool (factsWorkerPool.ts): loads tree-sitter, the C grammar and the
 * facts query once, then turns each {path, text} it is sent into the file's facts, exactly as a
 * file that is not open is read in the main thread (parseFileFacts: neutralise, parse within the
 * time budget, extract, delete the tree). Facts travel back encoded (factsCodec.ts). Bundled as
 * dist/factsWorker.js; run from the TypeScript sources under tsx in tests.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setQueryErrorLogger } from '../parser/queries';
import { parseFileFactsAndAnnotations } from '../parser/sourceFile';
import { loadCLanguage, newCParser, type CompiledWasm } from '../parser/treeSitter';
import { layoutFactsOf, mayHoldLayoutFacts } from '../layouts/workspace';
import { encodeFacts, type EncodedFacts } from './factsCodec';

/** Files sent together, answered together: one message each way per batch, not per file. */
export interface FactsRequest {
  files: { id: number; path: string; text: string }[];
}

/** One file's answer within a batch's reply. */
export type FileReply =
  /** `encoded` holds the file's layout facts too (template markers, relocation macros) when it has any: scanned here, off the main thread. */
  | { kind: 'facts'; id: number; encoded: EncodedFacts; unparsable: string | undefined }
  /** Extraction threw: the main thread reads this file itself. */
  | { kind: 'failed'; id: number; message: string };

export type FactsReply =
  /** Loaded: requests can come. */
  | { kind: 'ready' }
  /** Loading failed: this worker cannot help. */
  | { kind: 'fatal'; message: string }
  /** The files of a request, in its order. */
  | { kind: 'batch'; files: FileReply[] }
  | { kind: 'log'; message: string };

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const reply = (message: FactsReply, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
  let parser;
  try {
    // The main thread's compiled modules: their code (warm, once tiered up) is shared.
    await loadCLanguage((workerData as { wasm?: CompiledWasm } | null)?.wasm);
    parser = newCParser();
  } catch (error) {
    reply({ kind: 'fatal', message: (error as Error).stack ?? String(error) });
    return;
  }
  setQueryErrorLogger((message) => reply({ kind: 'log', message }));
  const ready = parser;
  port.on('message', ({ files }: FactsRequest) => {
    const replies: FileReply[] = [];
    const transfers: ArrayBuffer[] = [];
    for (const { id, path, text } of files) {
      try {
        const { parsed, annotations } = parseFileFactsAndAnnotations(ready, path, text);
        const layout = mayHoldLayoutFacts(text) ? layoutFactsOf(path, text, annotations) : undefined;
        const { encoded, transfer } = encodeFacts(parsed.facts, layout);
        replies.push({ kind: 'facts', id, encoded, unparsable: parsed.unparsable });
        transfers.push(...transfer);
      } catch (error) {
        replies.push({ kind: 'failed', id, message: (error as Error).stack ?? String(error) });
      }
    }
    reply({ kind: 'batch', files: replies }, transfers);
  });
  reply({ kind: 'ready' });
}

void main();
