/** Hostile or broken feeds.yaml: always a config problem on a line (exit 2), never a bare error or a hang. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, MAX_CONFIG_BYTES, parseConfig } from '../../src/config/load.ts';
import { problemsOf } from '../helpers/config-problems.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
const FEED = 'feeds:\n  - url: https://columns.example.com/feed.xml\n';

/** The "billion laughs" file: nine levels of nine aliases to the level above, 9^9 values expanded. */
function aliasBomb(levels = 9): string {
  const rows = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let level = 1; level < levels; level++)
    rows.push(
      `l${level}: &l${level} [${Array(9)
        .fill(`*l${level - 1}`)
        .join(',')}]`,
    );
  return `${FEED}${rows.join('\n')}\n`;
}

function problemsOfFile(name: string, text: string): string[] {
  const path = join(dir, name);
  writeFileSync(path, text);
  try {
    loadConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('a hostile or broken feeds.yaml', () => {
  it('refuses an alias bomb quickly, on the line of the alias that went too far', () => {
    const started = performance.now();
    const problems = problemsOf(aliasBomb());
    const elapsedMs = performance.now() - started;
    // *l4 (9^5 values each) on line 8, in the l5 row, is where the yaml library's weight passes the limit.
    expect(problems).toEqual([
      expect.stringMatching(/^feeds\.yaml:8: YAML alias \*l4 expands too far: aliases of aliases multiply \(a "billion laughs" file\)/),
    ]);
    expect(elapsedMs).toBeLessThan(2000); // about 30 ms here
  });

  it('accepts one anchor aliased many times: sharing plain values is what aliases are for', () => {
    const feeds = Array.from(
      { length: 500 },
      (_, i) => `  - url: https://columns.example.com/${i}.xml\n    tags: ${i === 0 ? '&shared [politics, uk]' : '*shared'}\n`,
    );
    const config = parseConfig(`feeds:\n${feeds.join('')}`, 'feeds.yaml');
    expect(config.feeds).toHaveLength(500);
    expect(config.feeds[499]!.tags).toEqual(['politics', 'uk']);
  });

  it.each([
    ['an alias to no anchor', `${FEED}    title: *nobody\n`, 'feeds.yaml:3: YAML alias *nobody names no anchor: set &nobody before it'],
    ['a syntax error', `${FEED}  - url: [https://b.example.com/feed\n`, /^feeds\.yaml:[34]: YAML syntax error: /],
    ['a duplicate key', `${FEED}    url: https://b.example.com/feed\n`, 'feeds.yaml:3: YAML syntax error: Map keys must be unique'],
    [
      'nesting too deep for the parser',
      `${FEED}title: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`,
      /^feeds\.yaml:3: the YAML nests deeper than 64 levels here/,
    ],
    [
      'a second document',
      `${FEED}---\ntitle: Columns\n`,
      'feeds.yaml:3: the file holds a second YAML document (after a "---" line); a config is one document: remove the "---" and merge what follows into the settings above',
    ],
    [
      'a tab as indentation',
      'feeds:\n\t- url: https://columns.example.com/feed.xml\n',
      /^feeds\.yaml:2: YAML syntax error: Tabs are not allowed/,
    ],
  ])('reports %s on its line', (_name, yaml, expected) => {
    const problems = problemsOf(yaml);
    expect(problems[0]).toEqual(typeof expected === 'string' ? expected : expect.stringMatching(expected));
  });

  // Each took the yaml library 10 to 40 s and 0.7 to 1.8 GB (a longer "- - -" line ran out of memory): a reload froze the service.
  it.each([
    ['flow lists', `title: ${'['.repeat(MAX_CONFIG_BYTES - 20)}\n`, 1],
    ['flow mappings', `${FEED}title: ${'{a: '.repeat(MAX_CONFIG_BYTES / 4 - 20)}\n`, 3],
    ['compact block lists', `${FEED}  - url: https://b.example.com/feed\n    tags:\n${'- '.repeat(MAX_CONFIG_BYTES / 2 - 80)}\n`, 5],
    ['indented mappings', Array.from({ length: 2000 }, (_, depth) => `${' '.repeat(depth)}a${depth}:`).join('\n'), 65],
  ])('refuses %s nested to the size limit at once, on the line where they go too deep', (_name, yaml, line) => {
    const started = performance.now();
    expect(problemsOf(yaml)).toEqual([
      expect.stringMatching(new RegExp(`^feeds\\.yaml:${line}: the YAML nests deeper than 64 levels here`)),
    ]);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('reads a config with block scalars, quotes and brackets in text, none of which nest', () => {
    const text = `${FEED}    title: "[[[[ {{{{ - - - -"\n    outlet: >\n${Array.from({ length: 100 }, (_, depth) => `      ${' '.repeat(depth)}- [{`).join('\n')}\n    tags: [a, 'b [[', "c {{"]\n`;
    expect(parseConfig(text, 'feeds.yaml').feeds[0]?.tags).toEqual(['a', 'b-[[', 'c-{{']);
  });

  it('refuses a file past the size limit, naming the line where it passes it', () => {
    const line = `  - url: https://columns.example.com/${'x'.repeat(60)}.xml\n`;
    const lines = Math.ceil(MAX_CONFIG_BYTES / line.length) + 10;
    const problems = problemsOfFile('huge.yaml', `feeds:\n${line.repeat(lines)}`);
    expect(problems).toEqual([
      expect.stringMatching(
        new RegExp(`^${join(dir, 'huge.yaml')}:${Math.floor(MAX_CONFIG_BYTES / line.length) + 2}: the file goes past 4 MiB here`),
      ),
    ]);
  });

  it('refuses an endless file (/dev/zero) without reading it all', () => {
    let problems: string[] = [];
    try {
      loadConfig('/dev/zero');
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toEqual([expect.stringMatching(/^\/dev\/zero:1: the file goes past 4 MiB here/)]);
  });

  it('columnwire exits 2 with FILE:LINE for an alias bomb', async () => {
    const path = join(dir, 'bomb.yaml');
    writeFileSync(path, aliasBomb());
    const result = await runCli(['--config', path, '--data', join(dir, 'data'), 'feeds']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^columnwire: config: ${path}:8: YAML alias \\*l4 expands too far`));
  });
});
