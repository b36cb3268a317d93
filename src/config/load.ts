/**
 * feeds.yaml → a validated, frozen Config. Problems are reported the way a compiler would:
 * every one at once, each as "FILE:LINE: key.path what was expected, got what".
 */
import { foldText } from '../fold-text.ts';
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document } from 'yaml';
import type { z } from 'zod';
import type { FeedSource } from '../model.ts';
import { redactUrl } from '../redact.ts';
import { deriveFeedId } from './derive-feed-id.ts';
import { findDuplicateFeeds } from './feed-lookup.ts';
import { findDeepNesting, MAX_NESTING } from './find-deep-nesting.ts';
import { nearestKey } from './nearest-key.ts';
import { readPlainYaml } from './read-plain-yaml.ts';
import { keysAt } from './schema-keys.ts';
import { configSchema, type DigestConfig, type RawConfig } from './schema.ts';

export interface Config {
  /** The file it was read from. */
  path: string;
  title: string;
  baseUrl: string;
  retentionDays: number;
  /** Days a finished digest run keeps its per-recipient copies; 0 keeps them for ever. */
  deliveryRetentionDays: number;
  /** A PostgreSQL URL to keep the data in instead of the SQLite file (env COLUMNWIRE_DATABASE_URL overrides it). */
  database: string | null;
  shutdownGraceSeconds: number;
  poll: RawConfig['poll'];
  server: RawConfig['server'];
  publish: RawConfig['publish'];
  site: RawConfig['site'];
  columnists: RawConfig['columnists'];
  mail: RawConfig['mail'];
  digests: DigestConfig[];
  /** Folder of digest templates, resolved against the config file's folder; null for the built-in ones. */
  templates: string | null;
  feeds: FeedSource[];
  /** Problems worth fixing that do not stop the config loading, as "FILE:LINE: ..." lines (shown by `check`). */
  warnings: string[];
}

/** The config file is missing, unreadable or invalid; `problems` lists each, ready to print. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  /** The user fixes it in the config or the command: exit 2. */
  readonly exitCode = 2;
  constructor(readonly problems: string[]) {
    super(`config: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`}`);
  }
}

/** Reads and validates the config file; throws ConfigError listing every problem. */
export function loadConfig(path: string): Config {
  return parseConfig(readConfigText(path), path);
}

/**
 * The most a config file may hold. 20,000 feeds with titles and tags fit in 4 MiB; past that
 * the YAML parser alone takes seconds, and a file this big (or /dev/zero) is a mistake.
 */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** The config file's text; throws ConfigError saying what to do when it is missing, unreadable or too big. */
export function readConfigText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readAtMost(path, MAX_CONFIG_BYTES + 1);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT' ? 'not found; create it (see README, "Configuration") or pass --config FILE' : `cannot be read (${code})`;
    throw new ConfigError([`${path}: ${hint}`]);
  }
  if (bytes.length > MAX_CONFIG_BYTES) {
    const line = countLines(bytes.subarray(0, MAX_CONFIG_BYTES));
    throw new ConfigError([
      `${path}:${line}: the file goes past ${MAX_CONFIG_BYTES / 1024 / 1024} MiB here; a config holds settings and feed URLs, not data: check that --config names the right file`,
    ]);
  }
  return bytes.toString('utf8');
}

/** The first `limit` bytes of a file (all of it when shorter), read without trusting its size: /dev/zero has none. */
function readAtMost(path: string, limit: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(limit);
    let length = 0;
    for (let read = -1; read !== 0 && length < limit; length += read) read = readSync(fd, buffer, length, limit - length, null);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

function countLines(bytes: Buffer): number {
  let lines = 1;
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) lines++;
  return lines;
}

/** Validates config text; `path` names the file in messages. */
export function parseConfig(text: string, path: string): Config {
  // Most files are plain YAML and valid: read fast, without places (read-plain-yaml.ts). A file
  // it declines, and any problem to report, is read by the yaml library, which knows every line.
  const plain = readPlainYaml(text);
  if (plain !== undefined) {
    try {
      return settleConfig(plain, path, null);
    } catch (error) {
      if (!(error instanceof NeedsPlaces)) throw error;
    }
  }
  const deep = findDeepNesting(text);
  if (deep !== null) {
    throw new ConfigError([
      `${path}:${deep}: the YAML nests deeper than ${MAX_NESTING} levels here (lists or mappings inside each other); a config needs a few: check that --config names the right file`,
    ]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map(
        (error) =>
          `${path}:${lines.linePos(error.pos[0]).line}: ${
            // The library's own words tell a programmer which function to call instead.
            error.code === 'MULTIPLE_DOCS'
              ? 'the file holds a second YAML document (after a "---" line); a config is one document: remove the "---" and merge what follows into the settings above'
              : `YAML syntax error: ${firstLine(error.message)}`
          }`,
      ),
    );
  }
  return settleConfig(valuesOf(doc, lines, path), path, { doc, lines });
}

/** Thrown on the fast path when a message needs a line number: the file is read again with places. */
class NeedsPlaces extends Error {}

/** The config from the document's values; `places` (null on the fast path) gives messages their lines. */
function settleConfig(values: unknown, path: string, places: { doc: Document; lines: LineCounter } | null): Config {
  const line = (keys: readonly PropertyKey[]): number => {
    if (places === null) throw new NeedsPlaces();
    return lineOf(places.doc, places.lines, keys);
  };
  const at = (keys: readonly PropertyKey[], lineKeys = keys) => `${path}:${line(lineKeys)}: ${keyPath(keys)}`;
  const parsed = configSchema.safeParse(values ?? {});
  if (!parsed.success) {
    if (places === null) throw new NeedsPlaces();
    const { doc } = places;
    const problems = parsed.error.issues.flatMap((issue) => {
      // An unknown key is best shown on its own line, with the known key it most likely meant.
      if (issue.code === 'unrecognized_keys') {
        const known = keysAt(configSchema, issue.path);
        return issue.keys.map((key) => {
          const meant = nearestKey(key, known);
          const hint = meant === null ? '' : `; did you mean ${meant}?`;
          return {
            line: line([...issue.path, key]),
            text: `${at(issue.path, [...issue.path, key])} has an unknown key "${key}"${hint}`,
          };
        });
      }
      // A missing key is shown on its parent's line.
      const missing = issue.code === 'invalid_type' && !doc.hasIn(issue.path as unknown[]);
      const unquoted = issue.code === 'invalid_type' && issue.expected === 'string' ? unquotedText(doc, issue.path) : null;
      const why = missing
        ? 'is required'
        : unquoted !== null
          ? `must be text, and YAML reads ${unquoted.source} as a ${unquoted.type}: write it in quotes, "${unquoted.source}"`
          : describeIssue(issue);
      return [{ line: line(issue.path), text: `${at(issue.path)} ${why}` }];
    });
    throw new ConfigError(problems.sort((a, b) => a.line - b.line).map((problem) => problem.text));
  }
  const feeds = settleFeedIds(parsed.data, at);
  checkDigests(parsed.data, feeds, at);
  checkColumnists(parsed.data, feeds, at);
  settlePicks(parsed.data, feeds);
  const templates = parsed.data.templates === undefined ? null : resolve(dirname(path), parsed.data.templates);
  const warnings = findDuplicateFeeds(feeds).map(
    ({ index, sameAs }) =>
      `${at(['feeds', index, 'url'])} ${redactUrl(feeds[index]!.url)} is the same feed as feeds[${sameAs}] on line ` +
      `${line(['feeds', sameAs, 'url'])} (${redactUrl(feeds[sameAs]!.url)}), up to http/https, www., a trailing slash ` +
      `and tracking parameters; remove one, or it is polled twice`,
  );
  return deepFreeze({ path, ...parsed.data, database: parsed.data.database ?? null, feeds, templates, warnings });
}

/**
 * Aliases share one value between places, so many uses of one anchor are fine; but aliases of
 * aliases multiply (nine of nine of nine... is the "billion laughs" file), so past this many
 * expansions, weighted as the yaml library weighs them, the file is refused.
 */
const MAX_ALIAS_EXPANSIONS = 10_000;

/**
 * The document as plain values. Expanding an alias can fail (an anchor that is not set before
 * it, or too many expansions): the yaml library says so without a place, so the alias being
 * expanded is noted, and the problem reported on its line.
 */
function valuesOf(doc: Document, lines: LineCounter, path: string): unknown {
  const noted: { failed: Alias | null } = { failed: null };
  visit(doc, {
    Alias(_key, alias) {
      const expand = alias.toJSON.bind(alias);
      alias.toJSON = (...args: Parameters<Alias['toJSON']>) => {
        try {
          return expand(...args);
        } catch (error) {
          noted.failed ??= alias; // the innermost alias catches first: that is the one that failed
          throw error;
        }
      };
    },
  });
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
  } catch (error) {
    const alias = noted.failed;
    if (alias === null) throw new ConfigError([`${path}:1: YAML cannot be read: ${firstLine(messageOf(error))}`]);
    const line = alias.range ? lines.linePos(alias.range[0]).line : 1;
    const message = messageOf(error);
    const why = message.startsWith('Excessive alias count')
      ? `expands too far: aliases of aliases multiply (a "billion laughs" file); write the values out, or alias plain values only`
      : message.startsWith('Unresolved alias')
        ? `names no anchor: set &${alias.source} before it`
        : `cannot be expanded: ${firstLine(message)}`;
    throw new ConfigError([`${path}:${line}: YAML alias *${alias.source} ${why}`]);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function settleFeedIds(raw: RawConfig, at: (keys: readonly PropertyKey[]) => string): FeedSource[] {
  const problems: string[] = [];
  const byId = new Map<string, number>();
  const byUrl = new Map<string, number>();
  const feeds = raw.feeds.map((feed, index): FeedSource => {
    const id = feed.id ?? deriveFeedId(feed.url);
    const sameId = byId.get(id);
    if (sameId !== undefined) {
      const derived = feed.id === undefined ? ` (derived from the url; give this feed an id:)` : '';
      problems.push(
        `${at(['feeds', index, feed.id === undefined ? 'url' : 'id'])} id "${id}" is already used by feeds[${sameId}]${derived}`,
      );
    }
    const sameUrl = byUrl.get(feed.url);
    if (sameUrl !== undefined) problems.push(`${at(['feeds', index, 'url'])} the same url as feeds[${sameUrl}]; list each feed once`);
    byId.set(id, index);
    byUrl.set(feed.url, index);
    return { id, url: feed.url, title: feed.title ?? null, outlet: feed.outlet ?? null, tags: [...new Set(feed.tags)] };
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return feeds;
}

/** Digest ids are unique, and their feed and tag filters name something that exists. */
function checkDigests(raw: RawConfig, feeds: FeedSource[], at: (keys: readonly PropertyKey[]) => string): void {
  const problems: string[] = [];
  const ids = new Set(feeds.map((feed) => feed.id));
  const tags = new Set(feeds.flatMap((feed) => feed.tags));
  const seen = new Map<string, number>();
  raw.digests.forEach((digest, index) => {
    const first = seen.get(digest.id);
    if (first !== undefined) problems.push(`${at(['digests', index, 'id'])} id "${digest.id}" is already used by digests[${first}]`);
    seen.set(digest.id, index);
    digest.feeds.forEach((id, position) => {
      if (!ids.has(id)) problems.push(`${at(['digests', index, 'feeds', position])} no feed has the id "${id}"`);
    });
    digest.tags.forEach((tag, position) => {
      if (!tags.has(tag)) problems.push(`${at(['digests', index, 'tags', position])} no feed has the tag "${tag}"`);
    });
  });
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Columnists' feeds exist; no slug, name or alias belongs to two columnists. */
function checkColumnists(raw: RawConfig, feeds: FeedSource[], at: (keys: readonly PropertyKey[]) => string): void {
  const problems: string[] = [];
  const ids = new Set(feeds.map((feed) => feed.id));
  const slugs = new Map<string, number>();
  const names = new Map<string, number>();
  raw.columnists.forEach((columnist, index) => {
    if (columnist.slug !== undefined) {
      const first = slugs.get(columnist.slug);
      if (first !== undefined)
        problems.push(`${at(['columnists', index, 'slug'])} "${columnist.slug}" is already the slug of columnists[${first}]`);
      slugs.set(columnist.slug, index);
    }
    for (const [key, name] of [
      ['name', columnist.name] as const,
      ...columnist.aliases.map((alias, position) => [position, alias] as const),
    ]) {
      const folded = foldText(name) ?? name;
      const first = names.get(folded);
      const path = key === 'name' ? ['columnists', index, 'name'] : ['columnists', index, 'aliases', key];
      if (first !== undefined && first !== index) problems.push(`${at(path)} "${name}" already names columnists[${first}]`);
      names.set(folded, index);
    }
    columnist.feeds.forEach((id, position) => {
      if (!ids.has(id)) problems.push(`${at(['columnists', index, 'feeds', position])} no feed has the id "${id}"`);
    });
    columnist.pickFrom.forEach((id, position) => {
      if (!ids.has(id)) problems.push(`${at(['columnists', index, 'pickFrom', position])} no feed has the id "${id}"`);
    });
  });
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Each feed some columnists pick themselves out of gets whose items it keeps (`FeedSource.pick`). */
function settlePicks(raw: RawConfig, feeds: FeedSource[]): void {
  const byId = new Map(feeds.map((feed) => [feed.id, feed]));
  for (const columnist of raw.columnists) {
    const keys = [columnist.name, ...columnist.aliases].map((name) => foldText(name)).filter((key): key is string => key !== null);
    for (const id of new Set(columnist.pickFrom)) {
      const feed = byId.get(id)!;
      const pick = (feed.pick ??= { authorKeys: [], keepUnsigned: false, names: [] });
      pick.authorKeys.push(...keys.filter((key) => !pick.authorKeys.includes(key)));
      pick.names.push(columnist.name);
    }
  }
  // Unsigned items are kept when any columnist claims the feed's unsigned stories (`feeds:`), picking it or not.
  for (const feed of feeds) {
    if (feed.pick) feed.pick.keepUnsigned = raw.columnists.some((columnist) => columnist.feeds.includes(feed.id));
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `has unknown keys ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
    case 'invalid_type':
      return issue.message.startsWith('Invalid input') ? `must be a ${issue.expected}` : issue.message;
    // Every other issue carries a message from the schema, written to follow the path.
    case 'too_big':
    case 'too_small':
    case 'invalid_format':
    case 'not_multiple_of':
    case 'invalid_union':
    case 'invalid_key':
    case 'invalid_element':
    case 'invalid_value':
    case 'custom':
      return issue.message;
  }
}

/** A plain scalar that YAML reads as a number or a boolean (a title `1984`, a tag `2024`): its text as written. */
function unquotedText(doc: Document, path: readonly PropertyKey[]): { source: string; type: string } | null {
  const node = doc.getIn(path as unknown[], true);
  if (!isScalar(node) || node.type !== 'PLAIN') return null;
  if (typeof node.value !== 'number' && typeof node.value !== 'boolean') return null;
  return { source: node.source ?? String(node.value), type: typeof node.value };
}

/** The line of the deepest node of `keys` present in the document. */
function lineOf(doc: Document, lines: LineCounter, keys: readonly PropertyKey[]): number {
  for (let depth = keys.length; depth >= 0; depth--) {
    const path = keys.slice(0, depth);
    const node = path.length === 0 ? doc.contents : doc.getIn(path as unknown[], true);
    // A key's own line reads best: for a mapping value, point at its key.
    const pair = depth > 0 ? findPair(doc, path) : null;
    const offset = pair ?? (isScalar(node) || isMap(node) || isSeq(node) ? node.range?.[0] : undefined);
    if (offset !== undefined) return lines.linePos(offset).line;
  }
  return 1;
}

function findPair(doc: Document, path: readonly PropertyKey[]): number | null {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1) as unknown[], true);
  if (!isMap(parent)) return null;
  const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1]);
  return pair && isScalar(pair.key) ? (pair.key.range?.[0] ?? null) : null;
}

function keyPath(keys: readonly PropertyKey[]): string {
  if (keys.length === 0) return 'the file';
  return keys.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
