/** Plain-text tables for command output. Pure. */

import { UNPRINTABLE_CLASS } from '../support/unprintable.ts';

// A cell may come from an anonymous sign-up: its control and bidi characters are shown, not obeyed.
const UNPRINTABLE = new RegExp(`[${UNPRINTABLE_CLASS}]`, 'gu');

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
  // A loop, not Math.max(...column): a million rows (subscribers list) overflow the call stack as arguments.
  const widths = cells[0]!.map((_, column) => cells.reduce((width, row) => Math.max(width, row[column]!.length), 0));
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
