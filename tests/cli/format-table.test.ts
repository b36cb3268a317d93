/** formatTable: aligned columns, and nothing a cell holds reaches the terminal as a control. */
import { describe, expect, it } from 'vitest';
import { escapeControls, formatTable } from '../../src/commands/format-table.ts';

describe('formatTable', () => {
  it('aligns columns on two spaces, the last one free-running', () => {
    expect(
      formatTable([
        ['A', 'BB', 'C'],
        ['aaa', 'b', 'last column'],
      ]),
    ).toBe('A    BB  C\naaa  b   last column\n');
  });

  it('formats a table of a million rows (subscribers list), which no argument list holds', () => {
    const rows = Array.from({ length: 1_000_000 }, (_, index) => [`r${index}@example.org`, 'daily']);
    const text = formatTable([['ADDRESS', 'DIGEST'], ...rows]);
    expect(text.startsWith(`ADDRESS${' '.repeat('r999999@example.org'.length - 'ADDRESS'.length)}  DIGEST\nr0@example.org `)).toBe(true);
    expect(text.endsWith('r999999@example.org  daily\n')).toBe(true);
  });

  it('escapes control characters so a row stays one line, aligned by what is shown', () => {
    expect(
      formatTable([
        ['NAME', 'X'],
        ['a\r\nb\x1b[2J', 'y'],
      ]),
    ).toBe(`${'NAME'.padEnd(17)}  X\na\\x0d\\x0ab\\x1b[2J  y\n`);
  });

  it.each([
    ['\x00', '\\x00'],
    ['\x07', '\\x07'],
    ['\t', '\\x09'],
    ['\x7f', '\\x7f'],
    ['\u009b', '\\x9b'],
    ['\u202e', '\\u202e'],
    ['\u2066', '\\u2066'],
    ['Zoë 😀', 'Zoë 😀'],
  ])('writes %j as %j', (input, shown) => {
    expect(escapeControls(input)).toBe(shown);
  });
});
