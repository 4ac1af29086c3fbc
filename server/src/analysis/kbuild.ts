/**
 * Reads the module layout from a Kbuild or Makefile: `obj-m += name.o` declares a module,
 * `name-objs := a.o b.o` (or `name-y += ...`) lists the objects of a multi-file module. Only the
 * assignments matter; the rest of make's language is ignored.
 */
export interface KbuildModule {
  /** Module name as the build produces it (dashes become underscores in the kernel). */
  name: string;
  /** Object file stems, e.g. ["main", "helpers"] for main.o helpers.o. */
  objects: string[];
  line: number;
  /**
   * How it is declared: `obj-m` ("m"), `obj-y` ("y", built into vmlinux) or `obj-$(CONFIG_X)`
   * ("CONFIG_X", decided by the kernel config). A kernel tree's Makefile says this way which
   * object a file is compiled into (kpatch and klp-build trees, layouts/generators.ts).
   */
  condition: string;
}

export function parseKbuild(text: string): KbuildModule[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const declared: { name: string; line: number; condition: string }[] = [];
  const parts = new Map<string, string[]>();
  joined.split('\n').forEach((raw, line) => {
    const content = raw.replace(/#.*/, '').trim();
    const assignment = /^([A-Za-z0-9_.$()-]+)\s*(\+=|:=|\?=|=)\s*(.*)$/.exec(content);
    if (!assignment) return;
    const [, variable, , value] = assignment;
    const objects = value.split(/\s+/).filter((w) => w.endsWith('.o')).map((w) => w.slice(0, -2));
    const obj = /^obj-(m|y|\$\(([A-Za-z0-9_]+)\))$/.exec(variable);
    if (obj) {
      for (const name of objects) declared.push({ name, line, condition: obj[2] ?? obj[1] });
      return;
    }
    const composite = /^(.+)-(objs|y|m)$/.exec(variable);
    if (composite) parts.set(composite[1], [...(parts.get(composite[1]) ?? []), ...objects]);
  });
  return declared.map(({ name, line, condition }) => ({ name: name.replace(/-/g, '_'), objects: parts.get(name) ?? [name], line, condition }));
}

export function isKbuildFile(fileName: string): boolean {
  return fileName === 'Kbuild' || fileName === 'Makefile' || fileName === 'GNUmakefile';
}
