/**
 * The "Livepatch" tree as plain nodes, built from `livepatch/patches`: patch → objects →
 * functions and callbacks, then the patch's system states and its module's shadow variable ids.
 * The VS Code provider (`livepatchTree.ts`) only turns these into TreeItems. No `vscode` import.
 */
import type { MessageLocation, ScenarioSource, TreePatch } from '../../server/src/protocol/messages';

export interface TreeNode {
  /** Stable across refreshes, so expanded nodes stay expanded. */
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  /** Codicon name. */
  icon: string;
  /** Where clicking the node goes. */
  location?: MessageLocation;
  /** For patches: the scenario of the node's "Simulate load" action. */
  scenario?: ScenarioSource;
  children: TreeNode[];
}

function hex(value: number | undefined): string | undefined {
  return value === undefined ? undefined : `0x${value.toString(16)}`;
}

export function treeNodes(patches: readonly TreePatch[]): TreeNode[] {
  return patches.map((patch) => {
    const id = `${patch.module}/${patch.variable}`;
    const children: TreeNode[] = patch.objects.map((object, index) => {
      const objectId = `${id}/object:${index}:${object.name}`;
      return {
        id: objectId,
        label: object.name,
        description: `${object.functions.length} function${object.functions.length === 1 ? '' : 's'}`,
        icon: 'package',
        location: object.location,
        children: [
          ...object.functions.map((func, position) => ({
            id: `${objectId}/func:${position}:${func.oldName}`,
            label: func.oldName,
            description: [func.newFunc ? `→ ${func.newFunc}` : 'no new_func', func.oldSympos ? `old_sympos ${func.oldSympos}` : undefined].filter(Boolean).join(', '),
            icon: 'symbol-function',
            location: func.location,
            children: [],
          })),
          ...object.callbacks.map((callback) => ({
            id: `${objectId}/callback:${callback.kind}`,
            label: callback.kind,
            description: callback.function,
            icon: 'symbol-event',
            location: callback.location,
            children: [],
          })),
        ],
      };
    });
    if (patch.states.length > 0) {
      children.push({
        id: `${id}/states`,
        label: 'States',
        description: String(patch.states.length),
        icon: 'symbol-constant',
        children: patch.states.map((state, index) => ({
          id: `${id}/state:${index}:${state.id}`,
          label: state.id,
          description: [hex(state.value) !== state.id ? hex(state.value) : undefined, state.version !== undefined ? `version ${state.version}` : undefined]
            .filter(Boolean)
            .join(', ') || undefined,
          icon: 'symbol-constant',
          location: state.location,
          children: [],
        })),
      });
    }
    if (patch.shadowIds.length > 0) {
      children.push({
        id: `${id}/shadow`,
        label: 'Shadow variables',
        description: String(patch.shadowIds.length),
        icon: 'symbol-key',
        children: patch.shadowIds.map((shadow) => ({
          id: `${id}/shadow:${shadow.id}`,
          label: shadow.id,
          description: hex(shadow.value) !== shadow.id ? hex(shadow.value) : undefined,
          tooltip: `Used by ${shadow.apis.join(', ')}`,
          icon: 'symbol-key',
          location: shadow.location,
          children: [],
        })),
      });
    }
    return {
      id,
      label: patch.module,
      description: [patch.variable !== 'patch' ? patch.variable : undefined, patch.replace ? 'cumulative' : undefined].filter(Boolean).join(', ') || undefined,
      tooltip: `struct klp_patch ${patch.variable} of module ${patch.module}${patch.replace ? ' (.replace = true)' : ''}`,
      icon: 'versions',
      location: patch.location,
      scenario: { kind: 'load', moduleUri: patch.location.uri },
      children,
    };
  });
}
