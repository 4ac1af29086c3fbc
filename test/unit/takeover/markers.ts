/**
 * Expected findings written into fixtures as marker comments, read the same way as
 * test/fixtures/checks (see its README): `/*^ CODE *\/` on the line after the finding, the caret
 * under its start column, or `@N` for an explicit 1-based column.
 */
const markerLine = /^\s*(\/\*\^[^*]*\*\/\s*)+$/;
const marker = /\/\*\^([^*]*)\*\//g;

/** "CODE line:column" (1-based) for every marker of a text. */
export function expectedKeys(text: string): string[] {
  const expected: string[] = [];
  let target = -1;
  text.split('\n').forEach((line, index) => {
    if (!markerLine.test(line)) {
      target = index;
      return;
    }
    for (const match of line.matchAll(marker)) {
      const words = match[1].trim().split(/\s+/).filter(Boolean);
      const explicit = words.find((word) => /^@\d+$/.test(word));
      const column = explicit ? Number(explicit.slice(1)) : match.index! + 3;
      for (const code of words.filter((word) => word !== explicit)) expected.push(`${code} ${target + 1}:${column}`);
    }
  });
  return expected.sort();
}
