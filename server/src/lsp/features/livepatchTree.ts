/**
 * `livepatch/patches`: the data of the client's "Livepatch" tree view — every `struct klp_patch`
 * of the workspace's livepatch modules in series order, with its objects (functions, callbacks),
 * system states and the shadow variable ids its module uses, each with a location to reveal.
 */
import type { ServerCapabilities } from 'vscode-languageserver';
import type { Location } from '../../model/location';
import { allPatches } from '../../model/moduleLayout';
import type { LivepatchModule } from '../../model/types';
import { LivepatchPatchesRequest, type MessageLocation, type TreePatch, type TreeShadowId } from '../../protocol/messages';
import type { ServerContext } from '../context';
import { objectNameOf } from '../livepatchAt';
import { workspaceSeries } from './workspaceModules';

function shadowIds(module: LivepatchModule, locate: (location: Location) => MessageLocation): TreeShadowId[] {
  const byId = new Map<string, TreeShadowId>();
  for (const call of module.shadowCalls) {
    const id = call.idMacro ?? call.id?.text.trim();
    if (!id) continue;
    const entry = byId.get(id);
    if (entry) {
      if (!entry.apis.includes(call.api)) entry.apis.push(call.api);
      continue;
    }
    byId.set(id, { id, value: call.id?.value, apis: [call.api], location: locate(call.location) });
  }
  return [...byId.values()];
}

/** The tree of the given livepatch modules, in the given (series) order. */
export function livepatchTree(modules: readonly LivepatchModule[], uriOf: (path: string) => string): TreePatch[] {
  const locate = (location: Location): MessageLocation => ({ uri: uriOf(location.file), range: location.range });
  const patches: TreePatch[] = [];
  for (const module of modules) {
    if (!module.isLivepatch) continue;
    const ids = shadowIds(module, locate);
    // Generated patches (kpatch, klp-build) are livepatches too, located at what makes them.
    for (const patch of allPatches(module)) {
      patches.push({
        module: module.name,
        variable: patch.variableName,
        replace: patch.replace?.value,
        location: locate({ file: patch.location.file, range: patch.nameLocation?.range ?? patch.location.range }),
        objects: patch.objects
          .filter((object) => !object.isTerminator)
          .map((object) => ({
            name: objectNameOf(object) ?? '(unknown)',
            location: locate(object.location),
            functions: object.funcs
              .filter((func) => !func.isTerminator)
              .map((func) => ({
                oldName: func.oldName?.value ?? func.oldName?.text ?? '(no old_name)',
                newFunc: func.newFunc?.name,
                oldSympos: func.oldSympos?.value,
                location: locate(func.location),
              })),
            callbacks: object.callbacks.map((callback) => ({
              kind: callback.kind,
              function: callback.name,
              location: locate(callback.location),
            })),
          })),
        states: patch.states
          .filter((state) => !state.isTerminator)
          .map((state) => ({
            id: state.id?.text.trim() ?? '?',
            value: state.id?.value,
            version: state.version?.value,
            location: locate(state.location),
          })),
        shadowIds: ids,
      });
    }
  }
  return patches;
}

export function register(context: ServerContext): ServerCapabilities {
  context.connection.onRequest(
    LivepatchPatchesRequest,
    context.safe('livepatch/patches', [], async (): Promise<TreePatch[]> => {
      return livepatchTree(await workspaceSeries(context), (path) => context.documents.uriOf(path));
    }),
  );
  return {};
}
