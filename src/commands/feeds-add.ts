/** `columnwire feeds add <url-or-page>`: finds the feed, proves it parses, appends it to feeds.yaml. */
import { uniqueFeedId } from '../config/derive-feed-id.ts';
import type { FeedEntry } from '../config/edit-config.ts';
import { findFeedByUrl } from '../config/feed-lookup.ts';
import { loadConfig, type Config } from '../config/load.ts';
import { normalizeTags } from '../config/normalize-tag.ts';
import { FEED_ID } from '../config/schema.ts';
import { updateConfigFile } from '../config/update-config-file.ts';
import { UsageError } from '../errors.ts';
import { canonicalUrl } from '../feeds/canonical-url.ts';
import { tryFeed } from '../feeds/try-feed.ts';
import { trySettingsOf } from '../feeds/try-settings.ts';
import { redactSecrets, redactUrl } from '../redact.ts';
import { parseCommandArgs, type CommandContext } from './command.ts';

interface AddOptions {
  id: string | undefined;
  title: string | undefined;
  outlet: string | undefined;
  tags: string[];
}

/** Runs `feeds add` (argv after "add"). */
export async function runFeedsAdd({ argv, globals, stdout }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('feeds add', argv, {
    id: { type: 'string' },
    title: { type: 'string' },
    outlet: { type: 'string' },
    tag: { type: 'string', multiple: true },
  });
  if (positionals.length !== 1) throw new UsageError('feeds add: give exactly one feed or page URL; see "columnwire feeds --help"');
  const url = positionals[0]!;
  if (canonicalUrl(url) === null)
    throw new UsageError(`feeds add: "${redactUrl(url)}" is not an http(s) URL; give the address of the feed, or of a page that links it`);
  if (values.id !== undefined && !FEED_ID.test(values.id)) {
    throw new UsageError(
      `feeds add: --id must be a slug (lower-case letters, digits, "-", "_" or ".", at most 64 characters), got "${values.id}"`,
    );
  }
  if ((values.tag ?? []).some((tag) => tag.trim() === '')) throw new UsageError('feeds add: --tag must not be empty');
  const options: AddOptions = {
    id: values.id,
    title: values.title,
    outlet: values.outlet,
    tags: normalizeTags(values.tag ?? []),
  };
  const config = loadConfig(globals.configPath);
  // Refused before any network traffic when the typed URL alone shows it.
  refuseDuplicate(config, [url], options.id);

  const tried = await tryFeed(url, trySettingsOf(config.poll));
  if (tried.kind === 'failed') throw new Error(`feeds add: ${redactUrl(url)}: ${redactSecrets(tried.reason, [url])}; nothing was written`);
  const update = updateConfigFile(config.path, `adding ${redactUrl(tried.feedUrl)}`, (current) => {
    // Planned against the file as it is now: someone may have edited it during the fetch.
    refuseDuplicate(current, [url, tried.feedUrl], options.id);
    return { kind: 'add', entries: [entryFor(tried.feedUrl, options, current)] };
  });
  // The new entry is the config's last feed.
  const added = update?.after.feeds.at(-1);
  if (tried.pageUrl !== null) stdout.write(`found feed ${redactUrl(tried.feedUrl)} on page ${redactUrl(tried.pageUrl)}\n`);
  const count = tried.parsed.items.length;
  stdout.write(
    `added feed ${added?.id}: ${redactUrl(tried.feedUrl)} (${tried.parsed.feed.title ?? 'untitled'}, ${count} item${count === 1 ? '' : 's'}) to ${config.path}\n`,
  );
  return 0;
}

function entryFor(feedUrl: string, options: AddOptions, current: Config): FeedEntry {
  return {
    url: feedUrl,
    id: options.id ?? uniqueFeedId(feedUrl, new Set(current.feeds.map((feed) => feed.id))),
    ...(options.title !== undefined ? { title: options.title } : {}),
    ...(options.outlet !== undefined ? { outlet: options.outlet } : {}),
    tags: options.tags,
  };
}

function refuseDuplicate(config: Config, urls: readonly string[], id: string | undefined): void {
  const same = findFeedByUrl(config.feeds, urls);
  if (same) {
    throw new UsageError(
      `feeds add: ${redactUrl(urls[urls.length - 1]!)} is already in ${config.path} as feed "${same.id}" (${redactUrl(same.url)}); nothing was written`,
    );
  }
  const taken = id === undefined ? undefined : config.feeds.find((feed) => feed.id === id);
  if (taken) throw new UsageError(`feeds add: the id "${id}" is already used by ${redactUrl(taken.url)}; choose another --id`);
}
