/**
 * /unsubscribe: GET shows a confirmation page (mail scanners follow links, so GET changes
 * nothing) with two buttons: this digest, or every digest. POST, a button or an RFC 8058
 * one-click request (whose body is only `List-Unsubscribe=One-Click`), records it; one-click
 * stops the digest the token names. The token is checked before anything else: a valid one
 * is always answered, and only refusals (a tampered token, an oversize request) spend the
 * client's rate limit. A link mailed before the reader was resubscribed is refused with 410,
 * so replaying an old message never silently unsubscribes again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml } from '../html-text.ts';
import type { SiteStrings } from '../site/site-strings.ts';
import type { Store } from '../storage/store.ts';
import { verifyUnsubscribeToken } from '../unsubscribe-token.ts';
import type { RateLimiter } from './rate-limit.ts';
import { readSmallBody } from './read-body.ts';

const MAX_BODY_BYTES = 4096;
const MAX_URL_LENGTH = 2048;

export interface UnsubscribeDeps {
  store: Store;
  /** The path of baseUrl ("/news"; "" at the root): the confirmation forms post under it, where a proxy in front sends them on. */
  basePath: string;
  /** Verifies unsubscribe tokens. */
  secret: string;
  /** Spent by refused requests only. */
  limiter: RateLimiter;
  /** The client's address, as the limit counts it (client-address.ts). */
  client: () => string;
  /** The whole page around a title and body, in the site's layout. */
  frame: (title: string, body: string) => Promise<string>;
  /** The site's words, in its language. */
  strings: () => Promise<SiteStrings>;
  /** A digest's name as readers know it (`digests[].name`); null for an id the config does not have. */
  digestName?: (digestId: string) => string | null;
}

/** Handles GET and POST /unsubscribe. */
export async function handleUnsubscribe(req: IncomingMessage, res: ServerResponse, url: URL, deps: UnsubscribeDeps): Promise<void> {
  const t = await deps.strings();
  const page = async (status: number, title: string, body: string): Promise<void> => {
    const html = await deps.frame(title, body);
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  };
  const refuse = async (status: number, title: string, body: string): Promise<void> => {
    const waitSeconds = deps.limiter.take(deps.client(), Date.now());
    if (waitSeconds === 0) return page(status, title, body);
    res.setHeader('retry-after', String(waitSeconds));
    return page(429, t.tooManyTitle, `<p>${escapeHtml(t.tooManyRefused(String(waitSeconds)))}</p>`);
  };
  if ((req.url ?? '').length > MAX_URL_LENGTH) return refuse(414, t.tooLongTitle, `<p>${escapeHtml(t.tooLongText)}</p>`);
  const body = req.method === 'POST' ? await readSmallBody(req, MAX_BODY_BYTES) : '';
  if (body === null) return refuse(413, t.tooLargeTitle, `<p>${escapeHtml(t.tooLargeText)}</p>`);
  const form = new URLSearchParams(body);
  const token = url.searchParams.get('token') ?? form.get('token') ?? '';
  const subject = verifyUnsubscribeToken(token, deps.secret);
  if (!subject) {
    return refuse(400, t.invalidLinkTitle, `<p>${escapeHtml(t.unsubscribeInvalid)}</p>`);
  }
  const standing = await deps.store.subscriptionState(subject.address, subject.digestId);
  const who = `<strong>${escapeHtml(subject.address)}</strong>`;
  const ADDRESS = '\u0000address\u0000';
  // Texts are escaped, then the address set in bold within them.
  const say = (text: string) => escapeHtml(text).replace(escapeHtml(ADDRESS), () => who);
  // Named as the reader knows it (the digest's mails carry its name), its id when the config has none.
  const name = deps.digestName?.(subject.digestId) ?? subject.digestId;
  const digest = t.theDigest(name);
  if (subject.epoch < (standing?.epoch ?? 0)) {
    // Signed by us, so not a guess: answered, and the limit is not spent.
    return page(
      410,
      t.oldLinkTitle,
      `<p>${say(t.unsubscribeOld(ADDRESS, digest, standing ? day(standing.since) : null))}</p>\n<p>${say(t.unsubscribeOldHint(digest))}</p>`,
    );
  }
  if (req.method === 'POST') {
    const everything = form.get('scope') === 'all';
    await deps.store.unsubscribe(subject.address, everything ? null : subject.digestId, new Date());
    return page(
      200,
      t.unsubscribedTitle,
      everything
        ? `<p>${say(t.noMoreDigests(ADDRESS))}</p>`
        : `<p>${say(t.noMoreOf(ADDRESS, digest))}</p>${buttons(deps.basePath, token, name, false, t)}`,
    );
  }
  const already =
    standing?.state === 'unsubscribed'
      ? `<p>${say(t.alreadyUnsubscribed(ADDRESS, standing.scope === 'all' ? t.everyDigest : digest, day(standing.since)))}</p>`
      : `<p>${say(t.stopSending(digest, ADDRESS))}</p>`;
  return page(200, t.unsubscribeTitle, `${already}${buttons(deps.basePath, token, name, standing?.state !== 'unsubscribed', t)}`);
}

/** The confirmation buttons: this digest (when `thisOne`), and every digest. */
function buttons(basePath: string, token: string, digestName: string, thisOne: boolean, t: SiteStrings): string {
  const action = escapeHtml(`${basePath}/unsubscribe?token=${encodeURIComponent(token)}`);
  const one = `<form method="post" action="${action}"><button type="submit">${escapeHtml(t.unsubscribeFrom(digestName))}</button></form>`;
  const all = `<form method="post" action="${action}"><input type="hidden" name="scope" value="all"><button type="submit">${escapeHtml(t.unsubscribeFromAll)}</button></form>`;
  return `\n${thisOne ? `${one}\n` : ''}${all}`;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}
