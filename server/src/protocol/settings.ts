/**
 * The `livepatch.*` settings, declared once for the client, the server and the manifest.
 *
 * `settingDeclarations` is the machine-readable list that `package.json`
 * `contributes.configuration` must mirror exactly (test/protocol/settings.test.ts compares the
 * two), and `parseSettings` turns whatever the editor sends into a complete, valid
 * `LivepatchSettings`, falling back to the declared default for each missing or ill-typed value.
 *
 * This file is imported by the VS Code client too, so it must not import server code.
 */

export type LogLevel = 'error' | 'warning' | 'info' | 'debug';
export type TraceSetting = 'off' | 'messages' | 'verbose';

export interface LivepatchSettings {
  /** Kernel model file (JSON model or System.map); empty means the model embedded in the server. */
  kernelModel: string;
  diagnostics: {
    /** Delay between the last keystroke and re-analysis of a document. */
    debounceMs: number;
    /** Whether files that are not open are analysed in the background. */
    workspace: boolean;
  };
  index: {
    /** Upper bound of files the background walk of the workspace collects. */
    maxFiles: number;
  };
  log: {
    /** Lowest level of server log lines sent to the output channel. */
    level: LogLevel;
  };
  trace: {
    /** LSP message tracing; vscode-languageclient reads it, the server ignores it. */
    server: TraceSetting;
  };
  /**
   * Load order of the workspace's patch series, oldest first: module C files, module folders or
   * module names. Empty: a `livepatch.series` file near the modules, else every other livepatch
   * module is treated as a possible predecessor.
   */
  series: string[];
  policy: {
    /** Non-cumulative patches that replace the same function are an error instead of a warning. */
    refuseConflicts: boolean;
  };
}

export const defaultSettings: LivepatchSettings = {
  kernelModel: '',
  diagnostics: { debounceMs: 250, workspace: true },
  index: { maxFiles: 5000 },
  log: { level: 'info' },
  trace: { server: 'off' },
  series: [],
  policy: { refuseConflicts: false },
};

/** The configuration section every key lives under. */
export const settingsSection = 'livepatch';

export type SettingScope = 'application' | 'machine' | 'machine-overridable' | 'window' | 'resource';

/** One setting as `contributes.configuration.properties` declares it. */
export interface SettingDeclaration {
  /** Full key, e.g. "livepatch.diagnostics.debounceMs". */
  key: string;
  /** 'array' means an array of strings. */
  type: 'string' | 'integer' | 'boolean' | 'array';
  default: string | number | boolean | readonly string[];
  description: string;
  scope: SettingScope;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
}

export const settingDeclarations: readonly SettingDeclaration[] = [
  {
    key: 'livepatch.kernelModel',
    type: 'string',
    default: defaultSettings.kernelModel,
    description:
      'Kernel model to check livepatches against: a kernel model JSON file or a System.map. ' +
      'A relative path is resolved against the first workspace folder. Empty uses the model embedded in the extension.',
    scope: 'machine-overridable',
  },
  {
    key: 'livepatch.diagnostics.debounceMs',
    type: 'integer',
    default: defaultSettings.diagnostics.debounceMs,
    description: 'Milliseconds to wait after the last edit of a document before it is analysed again.',
    scope: 'window',
    minimum: 0,
    maximum: 10000,
  },
  {
    key: 'livepatch.diagnostics.workspace',
    type: 'boolean',
    default: defaultSettings.diagnostics.workspace,
    description: 'Analyse the C files of the workspace in the background and report problems in files that are not open.',
    scope: 'window',
  },
  {
    key: 'livepatch.index.maxFiles',
    type: 'integer',
    default: defaultSettings.index.maxFiles,
    description:
      'Most files (.c, .h, Kbuild, Makefile) the background walk of the workspace collects; the walk stops there.',
    scope: 'window',
    minimum: 0,
  },
  {
    key: 'livepatch.log.level',
    type: 'string',
    default: defaultSettings.log.level,
    description: 'Lowest level of language server messages written to the Livepatch output channel.',
    scope: 'window',
    enum: ['error', 'warning', 'info', 'debug'],
  },
  {
    key: 'livepatch.trace.server',
    type: 'string',
    default: defaultSettings.trace.server,
    description: 'Traces the messages between VS Code and the Livepatch language server (for debugging the extension).',
    scope: 'window',
    enum: ['off', 'messages', 'verbose'],
  },
  {
    key: 'livepatch.series',
    type: 'array',
    default: defaultSettings.series,
    description:
      'Load order of the patch series, oldest first: module C files, module folders or module names (relative paths against the first ' +
      'workspace folder). Empty uses a livepatch.series file near the modules, else treats every other livepatch module as a possible predecessor.',
    scope: 'resource',
  },
  {
    key: 'livepatch.policy.refuseConflicts',
    type: 'boolean',
    default: defaultSettings.policy.refuseConflicts,
    description: 'Report non-cumulative patches that replace the same function as errors instead of warnings.',
    scope: 'resource',
  },
];

function isValid(declaration: SettingDeclaration, value: unknown): boolean {
  switch (declaration.type) {
    case 'string':
      return typeof value === 'string' && (!declaration.enum || declaration.enum.includes(value));
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'integer':
      return (
        typeof value === 'number' &&
        Number.isInteger(value) &&
        (declaration.minimum === undefined || value >= declaration.minimum) &&
        (declaration.maximum === undefined || value <= declaration.maximum)
      );
  }
}

/** Path of a key below the section, e.g. ["diagnostics", "debounceMs"]. */
function pathBelowSection(key: string): string[] {
  return key.split('.').slice(1);
}

function readPath(source: unknown, path: readonly string[]): unknown {
  let current = source;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function writePath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let current = target;
  for (const part of path.slice(0, -1)) current = current[part] as Record<string, unknown>;
  current[path[path.length - 1]] = value;
}

/**
 * Complete settings from the `livepatch` section as the editor sends it (nested objects, as
 * `workspace/configuration` returns them). Values of the wrong type are replaced by their default
 * and named in `problems`, so a typo in settings.json never stops the server.
 */
export function parseSettings(section: unknown): { settings: LivepatchSettings; problems: string[] } {
  const settings = structuredClone(defaultSettings) as unknown as Record<string, unknown>;
  const problems: string[] = [];
  for (const declaration of settingDeclarations) {
    const path = pathBelowSection(declaration.key);
    const value = readPath(section, path);
    if (value === undefined || value === null) continue;
    if (isValid(declaration, value)) writePath(settings, path, value);
    else problems.push(`${declaration.key}: ignoring ${JSON.stringify(value)}, using ${JSON.stringify(declaration.default)}`);
  }
  return { settings: settings as unknown as LivepatchSettings, problems };
}

/** The value a declaration describes inside a settings object (used by the manifest test). */
export function settingValue(settings: LivepatchSettings, key: string): unknown {
  return readPath(settings, pathBelowSection(key));
}
