/**
 * Fetches and parses one feed without storing anything: the proof `feeds add` wants before it
 * writes an entry, and what `check` does for every feed.
 */
import type { ParsedFeed } from '../model.ts';
import { fetchDocument, type DocumentRequest } from './fetch-document.ts';
import type { AddressPolicy } from './guard-address.ts';
import { FeedParseError, parseFeed } from './parse-feed.ts';

/** The config's `poll:` limits that apply to any fetch. */
export interface TrySettings {
  timeoutMs: number;
  maxBytes: number;
  allowPrivateAddresses: AddressPolicy;
}

export type TryResult =
  | {
    kind: 'ok';
    parsed: ParsedFeed;
    /** The feed's URL to subscribe to (after autodiscovery and permanent redirects). */
    feedUrl: string;
    /** The page the feed was found on, when the URL was a page. */
    pageUrl: string | null;
  }
  | { kind: 'failed'; reason: string };

/** The fetch limits of a config's `poll:` section, for `feeds add`, `check` and every poll. */
export function trySettingsOf(poll: { timeoutSeconds: number; maxBytes: number; allowPrivateAddresses: AddressPolicy }): TrySettings {
  return { timeoutMs: poll.timeoutSeconds * 1000, maxBytes: poll.maxBytes, allowPrivateAddresses: poll.allowPrivateAddresses };
}

/** Fetches `url` (a feed or a page linking one) and parses it; every expected failure is a `failed` value. */
export async function tryFeed(url: string, settings: TrySettings): Promise<TryResult> {
  const request: DocumentRequest = { url, ...settings };
  const document = await fetchDocument(request);
  if (document.kind === 'failed') return document;
  try {
    const parsed = await parseFeed(document.text, document.url);
    return { kind: 'ok', parsed, feedUrl: document.permanentUrl, pageUrl: document.pageUrl };
  } catch (cause) {
    if (!(cause instanceof FeedParseError)) throw cause;
    return { kind: 'failed', reason: cause.message };
  }
}
