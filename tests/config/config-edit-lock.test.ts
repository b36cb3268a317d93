/**
 * Columnwire commands editing one feeds.yaml at once (a script tagging feeds in parallel) take
 * turns: every edit lands, none fails with "kept changing", none is lost. Real processes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
const EDITS = 8;

it(`lands all of ${EDITS} feeds tag commands run at once on one file`, async () => {
  const path = join(dir, 'feeds.yaml');
  const ids = Array.from({ length: EDITS }, (_, index) => `feed-${index}`);
  writeFileSync(
    path,
    ['# Feeds edited in parallel', 'feeds:', ...ids.flatMap((id) => [`  - url: https://${id}.example.com/rss`, `    id: ${id}`]), ''].join(
      '\n',
    ),
  );
  const results = await Promise.all(
    ids.map((id) => runCli(['--config', path, '--data', join(dir, 'data'), 'feeds', 'tag', id, `tag-${id}`])),
  );
  for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0 });
  const text = readFileSync(path, 'utf8');
  expect(text.startsWith('# Feeds edited in parallel\n')).toBe(true);
  expect(parseConfig(text, path).feeds.map((feed) => feed.tags)).toEqual(ids.map((id) => [`tag-${id}`]));
}, 60_000);
