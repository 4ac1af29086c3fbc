/** `livepatch/kernelModelInfo`: which kernel model diagnostics, hovers and completions use. */
import type { ServerCapabilities } from 'vscode-languageserver';
import { KernelModelInfoRequest, type KernelModelInfo } from '../../protocol/messages';
import type { ServerContext } from '../context';

export function register(context: ServerContext): ServerCapabilities {
  context.connection.onRequest(
    KernelModelInfoRequest,
    context.safe('livepatch/kernelModelInfo', null, (): KernelModelInfo => {
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
    }),
  );
  return {};
}
