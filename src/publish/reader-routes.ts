/**
 * Readers subscribing and tuning their digests over HTTP:
 * - GET /subscribe shows the form; POST /subscribe keeps a signup and mails a signed link that
 *   works for 48 hours. The answer is the same whatever the address, and comes before the
 *   mail is sent (nobody learns who subscribes, from its words or its timing); a hidden honeypot
 *   field filled in sends nothing; requests are limited per client, and an address gets at most
 *   one link per RESEND_MS once a mail was taken by the relay.
 * - GET /subscribe/confirm shows one button (mail scanners follow links); POST confirms: the
 *   signup becomes a subscriber, then the reader lands on their preferences.
 * - GET|POST /preferences?token= (the digest's own signed link): choices, pause, switching to
 *   another digest offered for signup; unsubscribing posts to /unsubscribe with the same token.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream/promises';
import { normalizeName, parseMailbox } from '../config/parse-mailbox.ts';
import type { Logger } from '../logger.ts';
import type { OutgoingMessage, SendOutcome } from '../digest/send-digest.ts';
import { escapeHtml } from '../html-text.ts';
import {
  renderCheckInbox,
  renderConfirm,
  renderPreferences,
  renderReaderPage,
  renderSubscribeForm,
  type OfferedDigest,
} from '../site/render-reader-pages.ts';
import { sitePath, type SiteContext } from '../site/render-site-page.ts';
import type { ReaderChoices, Store } from '../storage/store.ts';
import {
  createSignupToken,
  createUnsubscribeToken,
  SIGNUP_LINK_HOURS,
  verifySignupToken,
  verifyUnsubscribeToken,
} from '../unsubscribe-token.ts';
import type { RateLimiter } from './rate-limit.ts';
import { readSmallBody } from './read-body.ts';

/** An address gets at most one confirmation link this often, however often it is entered. */
export const RESEND_MS = 10 * 60_000;
const MAX_BODY_BYTES = 64 * 1024;
/** Signups whose link expired longer ago than this are forgotten when a new one is kept (a day: `list --pending` can still show them as expired). */
const SIGNUPS_KEPT_EXPIRED_MS = 24 * 3600_000;
/** Choices kept per kind: more than a site has is a forged form. */
const MAX_CHOICES = 500;

export interface ReaderRoutesDeps {
  store: Store;
  secret: string;
  baseUrl: string;
  title: string;
  logger: Logger;
  /** Digests offered on /subscribe (`digests[].signup: true`), and every digest's name by id. */
  offered: readonly OfferedDigest[];
  digestName(id: string): string | null;
  /** Is `address` on `digestId`'s to: list in feeds.yaml? */
  listedByOperator(digestId: string, address: string): boolean;
  site(): Promise<SiteContext>;
  /** Sends one message (the mailer is made on first use). */
  send(message: OutgoingMessage): Promise<SendOutcome>;
  /** Spent by every POST /subscribe, per client address. */
  limiter: RateLimiter;
  /** The client's address, as the limit counts it (client-address.ts). */
  client: () => string;
  now(): Date;
}

/** Handles the reader routes; false when `path` is none of them. */
export async function handleReaderRoute(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  url: URL,
  deps: ReaderRoutesDeps,
): Promise<boolean> {
  if (path !== '/subscribe' && path !== '/subscribe/confirm' && path !== '/preferences') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
    // RFC 9110 §9.3.7: OPTIONS is answered with what is allowed.
    if (req.method === 'OPTIONS') res.writeHead(204, { allow: 'GET, HEAD, POST' }).end();
    else res.writeHead(405, { allow: 'GET, HEAD, POST', 'content-type': 'text/plain; charset=utf-8' }).end('GET or POST only.\n');
    return true;
  }
  const ctx = await deps.site();
  let form = new URLSearchParams();
  if (req.method === 'POST') {
    const body = await readSmallBody(req, MAX_BODY_BYTES);
    if (body === null) {
      send(res, 413, renderReaderPage(ctx, ctx.strings.subscribeTitle, '<p>Request too large.</p>'));
      return true;
    }
    form = new URLSearchParams(body);
  }
  if (path === '/subscribe') await subscribe(req, res, form, ctx, deps);
  else if (path === '/subscribe/confirm') await confirm(req, res, url, form, ctx, deps);
  else await preferences(req, res, url, form, ctx, deps);
  return true;
}

async function subscribe(req: IncomingMessage, res: ServerResponse, form: URLSearchParams, ctx: SiteContext, deps: ReaderRoutesDeps) {
  if (req.method !== 'POST') return send(res, 200, renderSubscribeForm(ctx, deps.offered));
  const wait = deps.limiter.take(deps.client(), deps.now().getTime());
  if (wait > 0) {
    res.setHeader('retry-after', String(wait));
    return send(res, 429, renderReaderPage(ctx, ctx.strings.subscribeTitle, `<p>${escapeHtml(ctx.strings.tooMany(String(wait)))}</p>`));
  }
  const mailbox = parseMailbox((form.get('email') ?? '').trim());
  if (!mailbox || mailbox.name !== null) return send(res, 400, renderSubscribeForm(ctx, deps.offered, ctx.strings.badEmail));
  const digest = deps.offered.find((offer) => offer.id === form.get('digest')) ?? (deps.offered.length === 1 ? deps.offered[0] : undefined);
  if (!digest) return send(res, 400, renderSubscribeForm(ctx, deps.offered));
  const address = mailbox.address.toLowerCase();
  const answer = () => send(res, 200, renderCheckInbox(ctx, address, SIGNUP_LINK_HOURS));
  // A robot fills every field; a person never sees this one. It is told what a person is told.
  if ((form.get('website') ?? '') !== '') return answer();
  // Answered before the store is asked anything of the address, and before the mail is sent: a
  // new address and one asked for minutes ago take the same time (an inline SMTP send took 12-36
  // ms more, and keeping the signup, a write a repeat skips, 4-7 ms more on PostgreSQL: either
  // told who had asked). The reply is on its way (flushed) before the store is asked.
  answer();
  await finished(res).catch(() => {});
  try {
    const now = deps.now();
    const earlier = await deps.store.signup(digest.id, address);
    if (earlier && now.getTime() - earlier.requestedAt.getTime() < RESEND_MS) return;
    // The one rule for names (parse-mailbox.ts), as in `subscribers add` and import: export imports back.
    const name = normalizeName(form.get('name') ?? '');
    const forgetBefore = new Date(now.getTime() - SIGNUP_LINK_HOURS * 3600_000 - SIGNUPS_KEPT_EXPIRED_MS);
    // Kept only if no link was sent within RESEND_MS, in one statement: of a form sent again and
    // again at once (the check above passed for each), one link is mailed, the one kept.
    const kept = await deps.store.saveSignup(
      { digestId: digest.id, address, name, choices: readChoices(form, ctx), requestedAt: now },
      forgetBefore,
      new Date(now.getTime() - RESEND_MS),
    );
    if (kept) await mailConfirmation(deps, ctx, digest, address, now);
  } catch (error) {
    // Answered already: the reader gets no link, and may ask again.
    deps.logger.error({ digestId: digest.id, err: error }, 'signup not kept');
  }
}

/** Mails the confirmation link; when the relay does not take it, forgets the signup so the next request sends again. */
async function mailConfirmation(deps: ReaderRoutesDeps, ctx: SiteContext, digest: OfferedDigest, address: string, now: Date) {
  const link = `${deps.baseUrl}/subscribe/confirm?token=${createSignupToken({ address, digestId: digest.id, requestedAt: now }, deps.secret)}`;
  const text = ctx.strings.confirmMailText(digest.name, link, String(SIGNUP_LINK_HOURS));
  const host = new URL(deps.baseUrl).hostname;
  let outcome: SendOutcome;
  try {
    outcome = await deps.send({
      to: address,
      subject: ctx.strings.confirmMailSubject(deps.title),
      text,
      html: `<!DOCTYPE html><html lang="${ctx.locale}"><body>${text
        .split('\n\n')
        .map(
          (paragraph) =>
            `<p>${escapeHtml(paragraph).replace(escapeHtml(link), () => `<a href="${escapeHtml(link)}">${escapeHtml(link)}</a>`)}</p>`,
        )
        .join('')}</body></html>`,
      messageId: `<signup-${randomBytes(12).toString('hex')}@${host}>`,
      date: now,
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
  } catch (error) {
    outcome = { kind: 'transient', error: (error as Error).message, connection: false };
  }
  if (outcome.kind === 'sent') {
    deps.logger.info({ digestId: digest.id }, 'signup confirmation mailed');
    return;
  }
  deps.logger.warn({ digestId: digest.id, error: outcome.error }, 'signup confirmation mail not sent');
  // Kept, it would hold back every new link for RESEND_MS while none is on its way.
  try {
    await deps.store.dropSignup(digest.id, address, now);
  } catch (error) {
    deps.logger.error({ digestId: digest.id, err: error }, 'signup whose mail was not sent could not be forgotten');
  }
}

async function confirm(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  form: URLSearchParams,
  ctx: SiteContext,
  deps: ReaderRoutesDeps,
) {
  const s = ctx.strings;
  const token = form.get('token') ?? url.searchParams.get('token') ?? '';
  const subject = verifySignupToken(token, deps.secret);
  if (!subject) return send(res, 400, renderReaderPage(ctx, s.confirmTitle, `<p>${escapeHtml(s.linkInvalid)}</p>`));
  const now = deps.now();
  const expired = now.getTime() - subject.requestedAt.getTime() > SIGNUP_LINK_HOURS * 3600_000;
  const waiting = expired ? null : await deps.store.signup(subject.digestId, subject.address);
  if (!waiting || waiting.requestedAt.getTime() !== subject.requestedAt.getTime()) {
    if (await subscribedNow(deps, subject.address, subject.digestId)) return alreadyConfirmed(res, ctx, deps, subject);
    return send(
      res,
      410,
      renderReaderPage(
        ctx,
        s.confirmTitle,
        `<p>${escapeHtml(s.confirmExpired)}</p><p><a href="${escapeHtml(`${deps.baseUrl}/subscribe`)}">${escapeHtml(s.subscribeTitle)}</a></p>`,
      ),
    );
  }
  const digestName = deps.digestName(subject.digestId) ?? subject.digestId;
  if (req.method !== 'POST') return send(res, 200, renderConfirm(ctx, token, subject.address, digestName));
  if (!(await deps.store.confirmSignup(subject.digestId, subject.address, subject.requestedAt, now))) {
    // Two clicks at once: the other one confirmed it.
    if (await subscribedNow(deps, subject.address, subject.digestId)) return alreadyConfirmed(res, ctx, deps, subject);
    return send(res, 410, renderReaderPage(ctx, s.confirmTitle, `<p>${escapeHtml(s.confirmExpired)}</p>`));
  }
  // Asking again is a new yes: an earlier unsubscribe from this digest no longer stands.
  await deps.store.resubscribe(subject.address, subject.digestId, now);
  // The link came by mail to this address and was followed: the mailbox works, so refusals
  // counted against it (bouncing or not) no longer stand, as after `subscribers clear-bounce`.
  const cleared = await deps.store.clearBounce(subject.address);
  deps.logger.info({ digestId: subject.digestId, bouncesCleared: cleared }, 'signup confirmed');
  return redirect(res, await preferencesUrl(deps, subject.address, subject.digestId, false));
}

/** Is `address` a subscriber of `digestId` now (a row as data, not unsubscribed)? */
async function subscribedNow(deps: ReaderRoutesDeps, address: string, digestId: string): Promise<boolean> {
  if (!(await deps.store.preferences(address)).some((row) => row.digestId === digestId)) return false;
  return (await deps.store.subscriptionState(address, digestId))?.state !== 'unsubscribed';
}

/** A confirm link followed again (a double click): it worked the first time; the reader's preferences are one link away. */
async function alreadyConfirmed(
  res: ServerResponse,
  ctx: SiteContext,
  deps: ReaderRoutesDeps,
  subject: { address: string; digestId: string },
) {
  const link = await preferencesUrl(deps, subject.address, subject.digestId, false);
  const body = `<p>${escapeHtml(ctx.strings.confirmAlready)}</p><p><a href="${escapeHtml(link)}">${escapeHtml(ctx.strings.preferencesTitle)}</a></p>`;
  return send(res, 200, renderReaderPage(ctx, ctx.strings.confirmTitle, body));
}

async function preferences(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  form: URLSearchParams,
  ctx: SiteContext,
  deps: ReaderRoutesDeps,
) {
  const s = ctx.strings;
  const token = form.get('token') ?? url.searchParams.get('token') ?? '';
  const subject = verifyUnsubscribeToken(token, deps.secret);
  if (!subject) return send(res, 400, renderReaderPage(ctx, s.preferencesTitle, `<p>${escapeHtml(s.linkInvalid)}</p>`));
  const standing = await deps.store.subscriptionState(subject.address, subject.digestId);
  if (subject.epoch < (standing?.epoch ?? 0))
    return send(res, 410, renderReaderPage(ctx, s.preferencesTitle, `<p>${escapeHtml(s.linkOld)}</p>`));
  const rows = await deps.store.preferences(subject.address);
  const row = rows.find((candidate) => candidate.digestId === subject.digestId) ?? null;
  const digest = { id: subject.digestId, name: deps.digestName(subject.digestId) ?? subject.digestId };
  // Switching goes to another digest offered for signup that the reader does not already get as data.
  const switchable = [
    digest,
    ...deps.offered.filter((offer) => offer.id !== digest.id && !rows.some((other) => other.digestId === offer.id)),
  ];
  const unsubscribed = standing?.state === 'unsubscribed';
  // Choices saved while unsubscribed would look like a subscription that sends nothing: the page says so instead.
  if (req.method === 'POST' && row && !unsubscribed) {
    const choices = readChoices(form, ctx);
    const paused = form.get('paused') === '1';
    const asked = form.get('digest');
    const target = switchable.find((offer) => offer.id === asked);
    // A switch the page never offers (a digest the reader already has, or one not offered):
    // said, not saved as if it were this digest's choices.
    if (asked !== null && asked !== digest.id && !target) {
      const named = deps.digestName(asked) ?? asked;
      return send(res, 400, renderReaderPage(ctx, s.preferencesTitle, `<p>${escapeHtml(s.switchRefused(s.theDigest(named)))}</p>`));
    }
    if (target && target.id !== digest.id) {
      const now = deps.now();
      await deps.store.addSubscribers(target.id, [{ address: subject.address, name: row.name }], now);
      await deps.store.setPreferences(target.id, subject.address, { choices, paused });
      await deps.store.removeSubscriber(subject.address, digest.id);
      await deps.store.resubscribe(subject.address, target.id, now);
      return redirect(res, await preferencesUrl(deps, subject.address, target.id, true));
    }
    await deps.store.setPreferences(digest.id, subject.address, { choices, paused });
    return redirect(res, await preferencesUrl(deps, subject.address, digest.id, true));
  }
  // Neither a subscriber nor on the operator's list: removed or moved since this link was sent.
  if (!row && !deps.listedByOperator(digest.id, subject.address)) {
    return send(res, 410, renderReaderPage(ctx, s.preferencesTitle, `<p>${escapeHtml(s.linkOld)}</p>`));
  }
  return send(
    res,
    200,
    renderPreferences(ctx, {
      token,
      address: subject.address,
      digest,
      digests: switchable,
      subscriber: row ? { choices: row.choices, paused: row.paused } : null,
      unsubscribed,
      // Subscribing again asks, as any signup does, by a link mailed to the address: a mailed
      // preferences link (its token never expires) must not undo an unsubscribe by itself.
      resubscribe: unsubscribed && deps.offered.some((offer) => offer.id === digest.id),
      saved: url.searchParams.get('saved') === '1',
    }),
  );
}

/** The reader's preferences link for a digest, with the epoch their links carry now. */
async function preferencesUrl(deps: ReaderRoutesDeps, address: string, digestId: string, saved: boolean): Promise<string> {
  const epoch = (await deps.store.subscriptionState(address, digestId))?.epoch ?? 0;
  const token = createUnsubscribeToken({ address, digestId, epoch }, deps.secret);
  return sitePath(deps.baseUrl, `/preferences?token=${token}${saved ? '&saved=1' : ''}`);
}

/** The choices a form made, keeping only columnists, outlets and tags the site has. */
function readChoices(form: URLSearchParams, ctx: SiteContext): ReaderChoices {
  const keep = (name: string, known: (value: string) => boolean) => [...new Set(form.getAll(name))].filter(known).slice(0, MAX_CHOICES);
  return {
    columnists: keep('columnist', (slug) => ctx.directory.columnist(slug) !== undefined),
    outlets: keep('outlet', (slug) => ctx.directory.outlet(slug) !== undefined),
    tags: keep('tag', (tag) => ctx.tags.includes(tag)),
  };
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store' }).end();
}
