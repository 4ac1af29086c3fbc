/**
 * `livepatch/kernelModelChanged`: tells the client which kernel model is in use whenever that, or
 * the outcome of loading the configured one, changes — after every settings refresh, compared
 * with what was last sent — so its status bar never shows a stale model.
 */
import type { ServerCapabilities } from 'vscode-languageserver';
import { KernelModelChangedNotification } from '../../protocol/messages';
import type { ServerContext } from '../context';
import { kernelModelInfo } from './kernelModelInfo';

export function register(context: ServerContext): ServerCapabilities {
  let lastSent: string | undefined;
  const send = context.safe('kernel model status', undefined, () => {
    const info = kernelModelInfo(context);
    const key = JSON.stringify(info);
    if (key === lastSent) return;
    lastSent = key;
    void context.connection.sendNotification(KernelModelChangedNotification, info);
  });
  context.onSettingsChanged(() => void send());
  context.onKernelModelChanged(() => void send());
  return {};
}
