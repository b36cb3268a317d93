/** Plain-text tables for command output. Pure. */

// Control characters (C0, DEL, C1) and bidi embeddings, overrides and isolates: a cell may come
// from an anonymous sign-up, and raw they would clear the operator's terminal, recolour it, ring
// it, break the table's rows or reorder its text.
const UNPRINTABLE = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;

/** `text` with each control or bidi character written as a visible escape (`\x1b`, `\u202e`). */
export function escapeControls(text: string): string {
  return text.replace(UNPRINTABLE, (ch) => {
    const code = ch.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Aligned columns separated by two spaces, the last column free-running; one line per row; control characters escaped. */
export function formatTable(table: readonly (readonly string[])[]): string {
  const cells = table.map((row) => row.map(escapeControls));
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  return cells
    .map(
      (row) =>
        `${row
          .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
