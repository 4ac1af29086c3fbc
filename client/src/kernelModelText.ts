/**
 * The status bar's words for the kernel model in use, and the value the "Select Kernel Model"
 * command writes into `livepatch.kernelModel`. No `vscode` import (unit tested).
 */
import { isAbsolute, relative } from 'node:path';
import type { KernelModelInfo } from '../../server/src/protocol/messages';

export interface StatusText {
  /** The status bar text (codicons allowed). */
  text: string;
  /** Markdown tooltip. */
  tooltip: string;
  /** True when the configured model failed to load (the item is then shown as a warning). */
  warning: boolean;
}

export function kernelModelStatus(info: KernelModelInfo | undefined): StatusText {
  if (!info) return { text: '$(loading~spin) Kernel model', tooltip: 'Livepatch: the language server is starting.', warning: false };
  const lines = [
    `**Livepatch kernel model** ${info.release} (${info.architecture})`,
    '',
    `From: ${info.source === 'embedded default' ? 'the model embedded in the extension' : `\`${info.source}\``}`,
    '',
    `${info.objectCount} objects, ${info.symbolCount} symbols.`,
  ];
  if (info.loadErrors.length > 0) {
    lines.push('', `**The configured model \`${info.configuredPath}\` is not in use:** ${info.loadErrors[0]}`);
  }
  lines.push('', 'Click to select another kernel model.');
  return {
    text: `${info.loadErrors.length > 0 ? '$(warning)' : '$(circuit-board)'} ${info.release} ${info.architecture}`,
    tooltip: lines.join('\n'),
    warning: info.loadErrors.length > 0,
  };
}

/**
 * The setting value for a chosen file: relative to the first workspace folder when inside it
 * (the server resolves relative paths against that folder, and the workspace stays movable),
 * absolute otherwise.
 */
export function kernelModelSettingValue(file: string, firstWorkspaceFolder: string | undefined): string {
  if (!firstWorkspaceFolder) return file;
  const path = relative(firstWorkspaceFolder, file);
  return path !== '' && !path.startsWith('..') && !isAbsolute(path) ? path : file;
}

/**
 * Where the setting is written: the workspace's settings when a trusted folder is open, the
 * user's otherwise — an untrusted workspace's value of `livepatch.kernelModel` is ignored
 * (`restrictedConfigurations`), so writing it there would change nothing.
 */
export function kernelModelSettingTarget(options: { trusted: boolean; hasWorkspaceFolder: boolean }): 'workspace' | 'user' {
  return options.trusted && options.hasWorkspaceFolder ? 'workspace' : 'user';
}

/** What "Capture Kernel Model from this machine" answers. */
export function captureKernelModelAnswer(trusted: boolean): { kind: 'refused' | 'unavailable'; message: string } {
  if (!trusted) {
    return {
      kind: 'refused',
      message:
        'Livepatch: capturing a kernel model runs tools of this machine, which an untrusted workspace may not do. Trust the workspace first.',
    };
  }
  return {
    kind: 'unavailable',
    message:
      'Livepatch: capturing a kernel model from this machine is not available yet (`klp model capture` is planned). ' +
      'Select a kernel model JSON file or a System.map instead.',
  };
}
