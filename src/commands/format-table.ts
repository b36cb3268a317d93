/** Plain-text tables for command output. Pure. */

/** Aligned columns separated by two spaces, the last column free-running; one line per row. */
export function formatTable(table: readonly (readonly string[])[]): string {
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  return table
    .map(
      (row) =>
        `${row
          .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
