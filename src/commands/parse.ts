/** `columnwire parse <file-or-url> [--json]`: what one feed says, normalized, without storing anything. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config/load.ts';
import { UsageError } from '../errors.ts';
import { isAddressRefusal, type AddressPolicy } from '../feeds/address-policy.ts';
import { decodeBody } from '../feeds/decode-body.ts';
import { fetchDocument } from '../feeds/fetch-document.ts';
import { withParsePool } from '../feeds/parse-pool.ts';
import type { ParsedFeed } from '../model.ts';
import { parseCommandArgs, type Command } from './command.ts';

const help = `Usage: columnwire parse <file-or-url> [--json]

Prints what one feed says, normalized: no first-seen dates, nothing stored.
A page URL is searched for its feed (<link rel="alternate">). Use it to debug a feed.

Options:
  --json              print {"feed": {...}, "items": [...]} (dates ISO 8601 UTC, absent values null)
  --allow-private     fetch from loopback, private and link-local addresses too, whatever
                      poll.allowPrivateAddresses says (to debug a feed served on this machine)
  --timeout SECONDS   give up on fetching a URL, or on parsing, after this long (default 20)
  -h, --help          show this help`;

export const parseCommand: Command = {
  name: 'parse',
  help,
  async run({ argv, globals, stdout }) {
    const { values, positionals } = parseCommandArgs('parse', argv, {
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      'allow-private': { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError('parse: give exactly one file or URL; see "columnwire parse --help"');
    const timeoutMs = Number(values.timeout ?? 20) * 1000;
    if (!(timeoutMs > 0)) throw new UsageError(`parse: --timeout must be a positive number of seconds, got "${values.timeout}"`);
    // The config's address policy, as a poll would fetch it: a redirect to 169.254.169.254 is no more welcome here.
    const policy = (): AddressPolicy =>
      values['allow-private'] ? true : existsSync(globals.configPath) ? loadConfig(globals.configPath).poll.allowPrivateAddresses : false;
    const { text, url } = await readSource(positionals[0]!, timeoutMs, policy);
    // In a worker under the same deadline, so `parse` shows what a poll would make of a hostile feed.
    const outcome = await withParsePool({ workers: 1, timeoutMs }, (pool) =>
      pool.parse({ input: { kind: 'text', text }, url, discover: false, normalizeAt: null }),
    );
    if (outcome.kind !== 'parsed')
      throw new Error(`parse: ${outcome.kind === 'failed' ? outcome.reason : 'not a feed: the document is an HTML page'}`);
    const { parsed } = outcome;
    stdout.write(values.json ? `${JSON.stringify(toJson(parsed), null, 2)}\n` : describe(parsed));
    return 0;
  },
};

/** Reads a local file or fetches a URL (following a page to its feed) under the address `policy`. */
async function readSource(source: string, timeoutMs: number, policy: () => AddressPolicy): Promise<{ text: string; url: string }> {
  if (!/^https?:\/\//i.test(source)) {
    const path = resolve(source);
    const bytes = await readFile(path).catch((cause: NodeJS.ErrnoException) => {
      throw new UsageError(`parse: cannot read ${source} (${cause.code ?? cause.message})`);
    });
    return { text: decodeBody(bytes, null), url: pathToFileURL(path).href };
  }
  const allowPrivateAddresses = policy();
  const document = await fetchDocument({ url: source, timeoutMs, maxBytes: 50 * 1024 * 1024, allowPrivateAddresses });
  if (document.kind === 'failed') {
    const hint =
      allowPrivateAddresses !== true && isAddressRefusal(document.reason)
        ? '; add --allow-private to fetch it anyway (to debug a feed on this machine or network)'
        : '';
    throw new Error(`parse: ${source}: ${document.reason}${hint}`);
  }
  return { text: document.text, url: document.url };
}

function toJson(parsed: ParsedFeed) {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  const { title, link, description, language, updated } = parsed.feed;
  return {
    feed: { title, link, description, language, updated: iso(updated) },
    items: parsed.items.map((item) => ({
      id: item.id,
      title: item.title,
      link: item.link,
      author: item.author,
      published: iso(item.published),
      updated: iso(item.updated),
      summary: item.summary,
      content: item.content,
      categories: item.categories,
    })),
  };
}

function describe(parsed: ParsedFeed): string {
  const lines = [
    `${parsed.feed.title ?? '(untitled)'} [${parsed.format}] ${parsed.feed.link ?? ''}`.trimEnd(),
    `${parsed.items.length} item${parsed.items.length === 1 ? '' : 's'}`,
    ...parsed.items.map(
      (item) =>
        `- ${item.published?.toISOString() ?? '(no date)'}  ${item.title ?? '(untitled)'}${item.author ? ` (${item.author})` : ''}\n  ${item.link ?? item.id}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
