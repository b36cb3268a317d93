/**
 * Two real feed readers from Debian, run against our served feeds: Python feedparser (the
 * reference parser many readers and services embed) and newsboat (a reader with its own cache,
 * which dedupes by guid and sends If-None-Match/If-Modified-Since). `.ci/run` installs both
 * (`apt-get install newsboat python3-feedparser`). Neither reads JSON Feed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const NEWSBOAT = '/usr/bin/newsboat';
/** Debian's Python, which has python3-feedparser (a pyenv `python3` on PATH may not). */
export const DEBIAN_PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./feed-readers.py', import.meta.url));
const run = promisify(execFile);

/** Why the readers cannot run here, or null when both are installed. */
export function feedReadersMissing(): string | null {
  if (!existsSync(NEWSBOAT)) return `${NEWSBOAT} not found`;
  try {
    execFileSync(DEBIAN_PYTHON, ['-c', 'import feedparser'], { stdio: 'ignore' });
  } catch {
    return `${DEBIAN_PYTHON} cannot import feedparser`;
  }
  return null;
}

/** One entry as feedparser reads it; `published` is ISO 8601 UTC to the second. */
export interface FeedparserEntry {
  id: string | null;
  title: string | null;
  link: string | null;
  author: string | null;
  published: string | null;
  summary: string | null;
  content: string[];
}

/** One document as feedparser reads it. */
export interface FeedparserResult {
  url: string;
  status: number | null;
  /** feedparser's "not well-formed" flag; 0 for a document every reader can read. */
  bozo: boolean;
  error: string | null;
  version: string | null;
  etag: string | null;
  modified: string | null;
  title: string | null;
  entries: FeedparserEntry[];
}

/** feedparser.parse(url, etag=…, modified=…) for each request, in one Python process. */
export async function readWithFeedparser(
  requests: ReadonlyArray<{ url: string; etag?: string | null; modified?: string | null }>,
): Promise<FeedparserResult[]> {
  const { stdout } = await run(DEBIAN_PYTHON, [SCRIPT, 'feedparser', JSON.stringify(requests)], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as FeedparserResult[];
}

/** One row of newsboat's rss_item table; `pubDate` in Unix seconds, `unread` 1 or 0. */
export interface NewsboatItem {
  guid: string;
  feedurl: string;
  title: string;
  author: string;
  url: string;
  pubDate: number;
  content: string;
  unread: number;
}

export interface NewsboatCache {
  feeds: Array<{ rssurl: string; title: string; etag: string; lastmodified: number }>;
  items: NewsboatItem[];
}

/** A newsboat profile (urls, config, cache) in its own folder of `root`. */
export interface Newsboat {
  /** Its folder: urls, config, cache.db and the error log of each reload. */
  dir: string;
  /** `newsboat -x reload` of every URL, then its cache; fails on any error newsboat logs. */
  reload(): Promise<NewsboatCache>;
}

/** A fresh newsboat subscribed to `urls`, with its cache and HOME in a new folder of `root`. */
export function createNewsboat(root: string, urls: readonly string[]): Newsboat {
  const dir = mkdtempSync(join(root, 'newsboat-'));
  writeFileSync(join(dir, 'urls'), `${urls.join('\n')}\n`);
  writeFileSync(join(dir, 'config'), '');
  let reloads = 0;
  return {
    dir,
    async reload() {
      const log = join(dir, `errors-${++reloads}.log`);
      const args = ['-u', join(dir, 'urls'), '-c', join(dir, 'cache.db'), '-C', join(dir, 'config'), '-x', 'reload'];
      // Level 1 logs USERERROR only: a feed newsboat could not fetch or parse (it still exits 0).
      await run(NEWSBOAT, [...args, '-d', log, '-l', '1'], { env: { ...process.env, HOME: dir }, timeout: 15_000 });
      const errors = existsSync(log) ? readFileSync(log, 'utf8').trim() : '';
      if (errors) throw new Error(`feed-readers: newsboat reported errors:\n${errors}`);
      const { stdout } = await run(DEBIAN_PYTHON, [SCRIPT, 'newsboat', join(dir, 'cache.db')], { maxBuffer: 64 << 20 });
      return JSON.parse(stdout) as NewsboatCache;
    },
  };
}
