/**
 * The fast YAML reader (src/config/read-plain-yaml.ts) against the yaml library it stands in
 * for: over generated files of plain lines mixed with hostile ones (every scalar form, escapes,
 * odd keys, flow lists, comments, wrong indentation, tabs, CRLF, anchors, tags, block scalars),
 * whenever it takes a file it must give exactly the values the yaml library gives, and it must
 * decline every file the yaml library finds an error in. Then: linear time on hostile lines,
 * and a config with a problem still reported on its line.
 */
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { parseConfig } from '../../src/config/load.ts';
import { readPlainYaml } from '../../src/config/read-plain-yaml.ts';
import { mulberry32 } from '../helpers/prng.ts';

const SCALARS = [
  ...['0', '012', '-012', '00', '0o17', '0o', '0o8', '0x1F', '0xg', '0b101', '1_000', '+12', '-0', '+0', '1e3', '1E-3', '1.5e+3'],
  ...['-1.', '.5', '+.5', '-.5', '0.', '.', '..5', '1.2.3', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '.NAN', 'nan', 'inf', '12:30:00'],
  ...['~', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'FALSE', 'yes', 'no', 'on', 'off', 'y', 'n'],
  ...['2024-01-01', '2024-01-01T10:00:00Z', '9007199254740993', '123456789012345678901234567890', 'Jane Doe', 'The Times: Opinion'],
  ...["'single'", "'it''s'", "''", '""', '"double"', '"esc \\t \\\\ \\" \\/ \\n"', '"esc \\x41 \\u263A \\N \\_"', '"bad \\q"', "'a # b'"],
  ...['"unterminated', "'unterminated", 'https://example.com/feed?a=1&b=2', 'https://example.com/#frag', 'a: b', 'x:y', 'x :y', 'a,b'],
  ...['[a, b, "c"]', '[a, [b, c]]', '[]', '[ a , b ]', "[a b, 'c d']", '[a,,b]', '[a, b', '{a: 1}', '[a, -1]', '[a:b]', '[ ]'],
  ...['&anchor value', '*alias', '!!str 12', '!tag x', '|', '>', '|-', '- x', '-1', '-', '?', '? x', '@at', '`tick', '%pct'],
  ...['é ü 漢字 🙂', '\u00a0nbsp', 'trailing   ', 'a\u0000b', '\u2028sep', 'a  # comment', 'a#b', 'key: "x" # c', "a'b", 'a"b'],
];
const KEYS = ['title', 'url', 'id', 'tags', 'k', 'feeds', 'x_y', 'a-b', 'dup', 'dup'];
const ODD_KEYS = ['1', '-0', '0x1F', '1e3', '.inf', 'true', 'True', 'null', 'Null', '~', '""', '"null"', "'q'", '<<', '? k', '[a, b]', ''];

function generate(random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const key = () => pick(random() < 0.85 ? KEYS : ODD_KEYS);
  const lines: string[] = [];
  const block = (indent: number, depth: number, count: number): void => {
    const pad = ' '.repeat(indent + (random() < 0.03 ? 1 : 0));
    const asList = random() < 0.3;
    for (let i = 0; i < count; i++) {
      const comment = random() < 0.1 ? `  # ${pick(SCALARS)}` : '';
      const dash = asList ? '- ' : '';
      const roll = random();
      if (depth < 3 && roll < 0.25) {
        lines.push(`${pad}${dash}${key()}:${comment}`);
        block(indent + pick([0, 1, 2, 2, 2, 3, 4]) + (asList ? 2 : 0), depth + 1, 1 + Math.floor(random() * 3));
      } else if (asList && roll < 0.35) {
        lines.push(`${pad}- ${pick(SCALARS)}${comment}`);
      } else {
        lines.push(`${pad}${dash}${key()}:${random() < 0.1 ? '' : ` ${pick(SCALARS)}`}${comment}`);
        if (asList && random() < 0.5) lines.push(`${pad}  ${key()}: ${pick(SCALARS)}`);
      }
      if (random() < 0.05) lines.push(random() < 0.5 ? '' : `${' '.repeat(Math.floor(random() * 4))}#${pick(SCALARS)}`);
      // Lines of the shapes the fast reader declines, amid plain ones.
      if (random() < 0.03) lines.push(pick([`${pad}  ${pick(SCALARS)}`, `${pad}-`, `${pad}- `, `${pad}-  # c`, `${'k'.repeat(1_100)}: 1`]));
    }
  };
  block(0, 0, 1 + Math.floor(random() * 4));
  let text = lines.join('\n');
  if (random() < 0.05) text = `---\n${text}`;
  if (random() < 0.05) text = text.replace(/\n/g, '\r\n');
  if (random() < 0.03) text = text.replace(/\n {2}/, '\n\t');
  if (random() < 0.5) text = `${text}\n`;
  return text;
}

/** Equal as the config sees values: same keys in the same order, NaN equal to NaN, -0 apart from 0. */
function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, index) => same(item, b[index]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    return (
      keysA.length === keysB.length &&
      keysA.every((key, index) => key === keysB[index] && same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
    );
  }
  return Object.is(a, b);
}

describe('readPlainYaml', () => {
  it('reads 30,000 generated files exactly as the yaml library does, or declines them', () => {
    const random = mulberry32(20261206);
    let taken = 0;
    const mismatches: string[] = [];
    for (let run = 0; run < 30_000 && mismatches.length < 3; run++) {
      const text = generate(random);
      const fast = readPlainYaml(text);
      if (fast === undefined) continue;
      taken++;
      const doc = parseDocument(text, { uniqueKeys: true });
      if (doc.errors.length > 0) mismatches.push(`taken, but the yaml library says ${doc.errors[0]!.code}:\n${text}`);
      else if (!same(fast, doc.toJS()))
        mismatches.push(`different values:\n${text}\n${JSON.stringify(fast)}\n${JSON.stringify(doc.toJS())}`);
    }
    expect(mismatches).toEqual([]);
    // The comparison means something only if many files take the fast way.
    expect(taken).toBeGreaterThan(4_000);
  });

  it('declines anchors, aliases, tags, block scalars and merge keys; takes a feed list with comments', () => {
    for (const text of ['a: &x 1\nb: *x', 'a: !!str 1', 'a: |\n  text', 'a: {b: 1}\n<<: {c: 2}', 'a: [*x]', 'a:\n\tb: 1']) {
      expect(readPlainYaml(text)).toBeUndefined();
    }
    const text = 'title: Columns  # the site\nfeeds:\n  - url: https://example.com/feed?a=1&b=2\n    tags: [opinion, "budget"]\n';
    expect(readPlainYaml(text)).toEqual({
      title: 'Columns',
      feeds: [{ url: 'https://example.com/feed?a=1&b=2', tags: ['opinion', 'budget'] }],
    });
  });

  it('stays linear on hostile lines (4 MiB of them)', () => {
    const hostile = [
      `k: a${' '.repeat(1_000_000)}b#`,
      `k: [a${' b'.repeat(500_000)}`,
      `k: [a${' '.repeat(1_000_000)}b${' '.repeat(1_000_000)}`,
      `k: ${':a'.repeat(1_000_000)}:`,
      `k: "${'\\t'.repeat(1_000_000)}`,
      `${'- '.repeat(1_000_000)}x`,
      `k: '${"''".repeat(1_000_000)}`,
    ];
    for (const text of hostile) expect(() => readPlainYaml(text)).not.toThrow();
  });

  it('leaves every message its line: a config with a problem or a warning is read again with places', () => {
    expect(() => parseConfig('title: x\nfeeds:\n  - url: https://a.example.com/feed\n    tagz: [a]\n', '/c/feeds.yaml')).toThrow(
      /\/c\/feeds\.yaml:4: feeds\[0\] has an unknown key "tagz"; did you mean tags\?/,
    );
    expect(() =>
      parseConfig('feeds:\n  - url: https://a.example.com/feed\n    id: a\n  - url: https://b.example.com/feed\n    id: a\n', '/c/f.yaml'),
    ).toThrow(/\/c\/f\.yaml:5: feeds\[1\]\.id id "a" is already used by feeds\[0\]/);
    const config = parseConfig(
      'feeds:\n  - url: https://a.example.com/feed\n  - url: https://www.a.example.com/feed/\n    id: again\n',
      '/c/feeds.yaml',
    );
    expect(config.warnings).toEqual([expect.stringMatching(/^\/c\/feeds\.yaml:3: feeds\[1\]\.url .* on line 2 /)]);
  });
});
