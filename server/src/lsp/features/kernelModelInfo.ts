/** `livepatch/kernelModelInfo`: which kernel model diagnostics, hovers and completions use. */
import type { ServerCapabilities } from 'vscode-languageserver';
import { KernelModelInfoRequest, type KernelModelInfo } from '../../protocol/messages';
import type { ServerContext } from '../context';

/** The kernel model in use as the protocol describes it (also sent by kernelModelStatus.ts). */
export function kernelModelInfo(context: ServerContext): KernelModelInfo {
  const { model, configuredPath, loadErrors } = context.kernel;
  let symbolCount = 0;
  for (const object of model.objects.values()) symbolCount += object.symbols.length;
  return {
    release: model.release,
    architecture: model.architecture,
    source: model.source,
    objectCount: model.objects.size,
    symbolCount,
    configuredPath,
    loadErrors,
  };
}

export function register(context: ServerContext): ServerCapabilities {
  context.connection.onRequest(
    KernelModelInfoRequest,
    context.safe('livepatch/kernelModelInfo', null, (): KernelModelInfo => kernelModelInfo(context)),
  );
  return {};
}
