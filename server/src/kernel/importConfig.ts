/** Reads a kernel `.config` (or /proc/config.gz contents) into the model's config map. */

/**
 * `CONFIG_X=y|m|value` lines; `# CONFIG_X is not set` and comments are skipped (absent means not
 * set). String values are stored unquoted, with the \" and \\ escapes of Kconfig undone.
 */
export function parseKernelConfig(text: string): Record<string, string> {
  const config: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line.trimEnd());
    if (!m) continue;
    let value = m[2];
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\(["\\])/g, '$1');
    }
    config[m[1]] = value;
  }
  return config;
}
