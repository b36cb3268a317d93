/**
 * One digest, end to end: finish any interrupted run, then plan, record and send a new one.
 * Every recipient's state is in SQLite before anything is sent, so a crash resumes with
 * exactly the copies not yet sent; transient SMTP failures retry with backoff and stay
 * pending for the next attempt, permanent ones are recorded per recipient.
 */
import type { Config } from '../config/load.ts';
import type { DigestConfig } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import type { Delivery, DeliveryStatus, DigestRun, Story } from '../model.ts';
import { runLimited } from '../run-limited.ts';
import { buildDirectory } from '../site/directory.ts';
import { retryWhileUnavailable } from '../storage/retry-while-unavailable.ts';
import type { ClaimedRun, DeliveryClaim, NewRun, ReaderChoices, Store, SubscriptionState } from '../storage/store.ts';
import { createUnsubscribeToken } from '../unsubscribe-token.ts';
import { buildDigestView } from './build-digest-view.ts';
import { digestMessageId, digestRecipients, messageIdFormat, planDigest } from './plan-digest.ts';
import { pruneDeliveries } from './prune-deliveries.ts';
import { renderDigest, type RenderedDigest, type Templates } from './render-digest.ts';
import { selectStories } from './select-stories.ts';
import type { Mailer, OutgoingMessage, SendOutcome } from './send-digest.ts';

export interface DigestDeps {
  config: Config;
  store: Store;
  mailer: Mailer;
  templates: Templates;
  secret: string;
  logger: Logger;
  now: () => Date;
  /** Waits between in-run retries of a transient failure (the last failure leaves it pending). */
  retryDelaysMs: readonly number[];
  /** Messages in flight at once (the SMTP pool holds 5 connections). */
  concurrency?: number;
  /** When aborted (shutdown), no new message starts; the ones in flight finish, the rest stay pending. */
  signal?: AbortSignal;
}

export interface RunReport {
  runId: number;
  subject: string;
  stories: number;
  sent: number;
  /** Readers whose choices had nothing in this run. */
  skipped: number;
  failed: number;
  /** Still to send (a later run retries them). */
  pending: number;
  /** Being sent by another process (a hand-run digest beside the service): not owed by this one. */
  sending: number;
  done: boolean;
}

export type DigestResult = { kind: 'sent'; runs: RunReport[] } | { kind: 'empty'; runs: RunReport[] };

/**
 * Finishes interrupted runs of `digest`, then sends a new run (unless empty and skipEmpty);
 * then prunes the copies of runs finished longer ago than `deliveryRetentionDays`.
 */
export async function runDigest(digest: DigestConfig, deps: DigestDeps): Promise<DigestResult> {
  const result = await sendOwed(digest, deps);
  if (!deps.signal?.aborted) {
    // Old runs' copies go after a send; a busy database only puts that off to the next one.
    await pruneDeliveries(deps.config, deps.store, deps.now(), deps.logger).catch((err: unknown) =>
      deps.logger.warn({ err }, 'pruning old digest copies failed; the next digest run tries again'),
    );
  }
  return result;
}

/** Finishes the runs left unfinished (copies still pending), creating no new run: the service's retry between scheduled runs. */
export async function resumeDigest(digest: DigestConfig, deps: DigestDeps): Promise<RunReport[]> {
  const runs: RunReport[] = [];
  for (const run of await deps.store.unfinishedDigestRuns(digest.id)) {
    if (deps.signal?.aborted) break;
    runs.push(await sendRun(digest, run, deps));
  }
  return runs;
}

/** Finishes the runs left unfinished, then creates and sends the next one. */
async function sendOwed(digest: DigestConfig, deps: DigestDeps): Promise<DigestResult> {
  const runs: RunReport[] = [];
  for (const run of await deps.store.unfinishedDigestRuns(digest.id)) runs.push(await sendRun(digest, run, deps));
  if (deps.signal?.aborted) return { kind: 'sent', runs };
  const created = await createRun(digest, deps);
  if (created.kind === 'empty' || created.kind === 'settled') return { kind: 'empty', runs };
  if (!runs.some((report) => report.runId === created.run.id))
    runs.push(await sendRun(digest, created.run, deps, created.rendered ?? undefined));
  return { kind: 'sent', runs };
}

/**
 * A new run: `created` here, `taken` when another process created it from the same cursor first,
 * `empty` when there is nothing to send, `settled` when its scheduled slot was settled meanwhile.
 */
export type CreatedRun =
  { kind: 'created' | 'taken'; run: DigestRun; rendered: RenderedDigest | null } | { kind: 'empty' } | { kind: 'settled' };

/** How a planned run is recorded: the store's claimDigestRun, or the cluster scheduler's claim of a scheduled slot. */
export type RunClaim = (run: NewRun & { afterRunId: number }) => Promise<ClaimedRun | { kind: 'settled' }>;

/**
 * Plans, renders and records the next run of `digest` with every recipient pending. Claimed
 * against the cursor it was planned from: when another process (the service's schedule, a
 * hand-run digest, another scheduler) created the run first, that run is returned to help finish.
 */
export async function createRun(
  digest: DigestConfig,
  deps: Pick<DigestDeps, 'config' | 'store' | 'templates' | 'now' | 'logger'>,
  claimRun: RunClaim = (run) => deps.store.claimDigestRun(run),
): Promise<CreatedRun> {
  const createdAt = deps.now();
  const plan = await planDigest(digest, deps.config, deps.store, createdAt);
  if (plan.stories.length === 0 && digest.skipEmpty) return { kind: 'empty' };
  const rendered = await renderFor(digest, plan.stories, createdAt, deps);
  const messageIds = messageIdFormat(digest.id, createdAt, deps.config.mail.from);
  const claim = await claimRun({
    digestId: digest.id,
    createdAt,
    afterRunId: plan.afterRunId,
    fromStoryId: plan.fromStoryId,
    toStoryId: plan.toStoryId,
    storyIds: plan.stories.map((story) => story.id),
    subject: rendered.subject,
    recipients: plan.listed.map(({ address, name }) => ({
      address,
      name,
      messageId: digestMessageId(digest.id, createdAt, address, deps.config.mail.from),
    })),
    subscribers: { messageIdPrefix: messageIds.prefix, messageIdSuffix: messageIds.suffix },
  });
  if (claim.kind === 'settled') return claim;
  if (claim.kind === 'taken')
    deps.logger.info({ digestId: digest.id, runId: claim.run.id }, 'digest run already started by another process; helping it finish');
  return { kind: claim.kind, run: claim.run, rendered: claim.kind === 'created' ? rendered : null };
}

/** Renders a digest of `stories` as of `at` (compiled once; filled per recipient). */
export async function renderFor(
  digest: DigestConfig,
  stories: readonly Story[],
  at: Date,
  deps: Pick<DigestDeps, 'config' | 'store' | 'templates'>,
): Promise<RenderedDigest> {
  const sources = new Map(deps.config.feeds.map((feed) => [feed.id, feed]));
  const [feeds, lastNewStory] = await Promise.all([deps.store.listFeeds(), deps.store.lastNewStoryByFeed()]);
  const makeView = (fullStories: number, listedStories: number) =>
    buildDigestView({
      digest,
      title: deps.config.title,
      baseUrl: deps.config.baseUrl,
      stories,
      sources,
      feeds,
      lastNewStory,
      now: at,
      fullStories,
      listedStories,
      unsubscribeUrl: '',
      signup: deps.config.digests.some((candidate) => candidate.signup),
      stripTracking: deps.config.publish.stripTracking,
    });
  return renderDigest(makeView, Math.min(digest.maxItems, stories.length), stories.length, deps.templates);
}

/**
 * The message for one recipient of a rendered digest. `name`: the display name planned with the
 * run (a subscriber's); without one, the digest's to: list gives it, if any.
 */
export function composeMessage(
  digest: DigestConfig,
  rendered: RenderedDigest,
  address: string,
  messageId: string,
  deps: Pick<DigestDeps, 'config' | 'secret'>,
  date: Date,
  epoch = 0,
  plannedName: string | null = null,
): OutgoingMessage {
  const base = deps.config.baseUrl.replace(/\/+$/, '');
  // The epoch (resubscribes so far) makes this link old once the reader is resubscribed.
  const token = createUnsubscribeToken({ address, digestId: digest.id, epoch }, deps.secret);
  const unsubscribeUrl = `${base}/unsubscribe?token=${token}`;
  const fromAddress = senderAddress(deps.config.mail.from);
  const host = new URL(base).hostname;
  const name = plannedName ?? digest.recipientNames[address.toLowerCase()];
  return {
    to: address,
    ...(name !== undefined ? { toName: name } : {}),
    subject: rendered.subject,
    html: rendered.html(unsubscribeUrl),
    text: rendered.text(unsubscribeUrl),
    messageId,
    date,
    headers: {
      // RFC 2369 and RFC 8058: one-click unsubscribe by POST to the https link.
      'List-Unsubscribe': `<${unsubscribeUrl}>, <mailto:${fromAddress}?subject=${encodeURIComponent(`unsubscribe ${token}`)}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    listId: { name: deps.config.title, comment: digest.id, id: `${digest.id}.columnwire.${host}` },
  };
}

/**
 * The address in mail.from, for the mailto: unsubscribe link: the last `<…>` of `Name <addr>`
 * (a quoted name may hold `<daily>`), else the word with an `@` (`addr (Name)`, a bare address).
 */
function senderAddress(from: string): string {
  return /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(from)?.[1] ?? from.split(/\s+/).find((word) => word.includes('@')) ?? from.trim();
}

/** Pending copies read and sent at a time: a run to a million readers is never in memory at once. */
const SEND_PAGE = 1_000;

async function sendRun(digest: DigestConfig, run: DigestRun, deps: DigestDeps, prerendered?: RenderedDigest): Promise<RunReport> {
  const rendered = prerendered ?? (await renderRun(digest, run, deps));
  const standings = await readStandings(digest, run, rendered, deps);
  const server: ServerState = { unreachable: null, senderRefused: false };
  for await (const page of pendingPages(deps.store, run.id)) {
    if (deps.signal?.aborted) break;
    await sendDeliveries(digest, run, rendered, page, deps, standings, server);
  }
  return reportRun(run, rendered, deps);
}

/** A run's pending copies, SEND_PAGE at a time by address; each page is read once the one before was used. */
async function* pendingPages(store: Pick<Store, 'pendingCopies'>, runId: number): AsyncGenerator<Delivery[]> {
  for (let after = ''; ;) {
    const page = await store.pendingCopies(runId, after, SEND_PAGE);
    if (page.length > 0) yield page;
    if (page.length < SEND_PAGE) return;
    after = page.at(-1)!.address;
  }
}

/** A run's digest rendered again from its frozen stories (a resumed run, another process's run). */
export async function renderRun(
  digest: DigestConfig,
  run: DigestRun,
  deps: Pick<DigestDeps, 'config' | 'store' | 'templates'>,
): Promise<RenderedDigest> {
  return renderFor(digest, await deps.store.storiesByIds(run.storyIds), run.createdAt, deps);
}

/** Who must not get `digestId` now, and the epoch each address's links carry: read once per run (or range). */
export interface Standings {
  unsubscribed: ReadonlySet<string>;
  standings: ReadonlyMap<string, SubscriptionState>;
  /** Addresses that bounce: nothing is sent to them. */
  bouncing?: ReadonlySet<string>;
  /** Addresses with failures counted (a sent copy clears them). */
  failing?: ReadonlySet<string>;
  /** The copy for a reader's choices, or null when nothing they chose is in the run (absent: everyone gets the whole run). */
  copyFor?: (address: string) => Promise<RenderedDigest | null>;
}

/** Reads the standings of `digest`'s recipients for sending `run`, with each reader's copy for their choices. */
export async function readStandings(
  digest: DigestConfig,
  run: DigestRun,
  rendered: RenderedDigest,
  deps: Pick<DigestDeps, 'config' | 'store' | 'templates'>,
): Promise<Standings> {
  const [unsubscribed, standings, bounces, choices] = await Promise.all([
    deps.store.unsubscribedAddresses(digest.id),
    deps.store.subscriptionStates(digest.id),
    deps.store.listBounces(),
    deps.store.subscriberChoices(digest.id),
  ]);
  return {
    unsubscribed,
    standings,
    bouncing: new Set(bounces.filter((bounce) => bounce.bouncingSince !== null).map((bounce) => bounce.address)),
    failing: new Set(bounces.filter((bounce) => bounce.bouncingSince === null).map((bounce) => bounce.address)),
    ...(choices.size > 0 ? { copyFor: await copiesByChoice(digest, run, rendered, choices, deps) } : {}),
  };
}

/**
 * Each reader's copy for their choices: the run's stories they chose, rendered once per
 * distinct selection (MJML compiles once for all who chose the same stories, and once for all
 * who chose nothing or everything).
 */
async function copiesByChoice(
  digest: DigestConfig,
  run: DigestRun,
  rendered: RenderedDigest,
  choices: ReadonlyMap<string, ReaderChoices>,
  deps: Pick<DigestDeps, 'config' | 'store' | 'templates'>,
): Promise<(address: string) => Promise<RenderedDigest | null>> {
  const [stories, stats] = await Promise.all([deps.store.storiesByIds(run.storyIds), deps.store.bylineStats()]);
  const directory = buildDirectory(stats, deps.config.feeds, deps.config.columnists);
  const sources = new Map(deps.config.feeds.map((feed) => [feed.id, feed]));
  // By story selection (equal selections share one render), and by choice (equal choices select once).
  const copies = new Map<string, Promise<RenderedDigest | null>>();
  const byChoice = new Map<string, Promise<RenderedDigest | null>>();
  const copyOf = (chosen: ReaderChoices): Promise<RenderedDigest | null> => {
    const selected = selectStories(stories, chosen, directory, sources);
    if (selected.length === stories.length) return Promise.resolve(rendered);
    if (selected.length === 0) return Promise.resolve(null);
    const key = selected.map((story) => story.id).join(',');
    let copy = copies.get(key);
    if (!copy) {
      copy = renderFor(digest, selected, run.createdAt, deps);
      // A failed render is not kept: the next reader with this selection tries again.
      copy.catch(() => copies.delete(key));
      copies.set(key, copy);
    }
    return copy;
  };
  return (address) => {
    const chosen = choices.get(address);
    if (!chosen) return Promise.resolve(rendered);
    const key = JSON.stringify([chosen.columnists, chosen.outlets, chosen.tags]);
    let copy = byChoice.get(key);
    if (!copy) {
      copy = copyOf(chosen);
      copy.catch(() => byChoice.delete(key));
      byChoice.set(key, copy);
    }
    return copy;
  };
}

/**
 * How long a write around one copy (its claim, the renewal before sending, its result) is tried
 * again while the store is unavailable: a PostgreSQL restart takes seconds, a failover up to a
 * minute or so. A result still not written after this is kept in memory (sentUnrecorded).
 */
const WRITE_RETRY_MS = 120_000;

/**
 * Copies this process sent whose `sent` it could not record (the store stayed unavailable past
 * WRITE_RETRY_MS), by claim owner, run and address: its next attempt on one records it instead
 * of sending it again. Lost if the process dies, as a copy in flight is.
 */
const sentUnrecorded = new Map<string, { sentAt: Date; attempts: number }>();
const unrecordedKey = (claim: DeliveryClaim) => `${claim.owner}\n${claim.runId}\n${claim.address}`;

/** How long after its run a copy its recipient's server keeps refusing with 4xx is still tried (RFC 5321 §4.5.4.1: 4-5 days). */
const GIVE_UP_AFTER_MS = 5 * 86_400_000;

/**
 * What the mail server showed while sending a run: once it cannot be reached at all, or refuses
 * our sender, the rest wait for the next attempt instead of each retrying in turn.
 */
export interface ServerState {
  unreachable: string | null;
  senderRefused: boolean;
}

/**
 * Sends `deliveries` (pending ones of `run`), each claimed first: only the claimer sends, and a
 * copy another process claimed or sent meanwhile is left to it.
 */
export async function sendDeliveries(
  digest: DigestConfig,
  run: DigestRun,
  rendered: RenderedDigest,
  open: readonly Delivery[],
  deps: DigestDeps,
  { unsubscribed, standings, bouncing, failing, copyFor }: Standings,
  server: ServerState = { unreachable: null, senderRefused: false },
): Promise<void> {
  const log = deps.logger.child({ digestId: digest.id, runId: run.id });
  // Tried again while PostgreSQL restarts or cuts the connection: a claim dropped leaves the copy
  // waiting, a result dropped leaves it to be sent again.
  const write = <T>(work: () => Promise<T>, onRetry = () => {}): Promise<T> =>
    retryWhileUnavailable(work, performance.now() + WRITE_RETRY_MS, () => (onRetry(), log));

  /** Records the result of a copy `claim` holds; false when the claim was lost. */
  const mark = async (claim: DeliveryClaim, status: DeliveryStatus, options: Parameters<Store['markDelivery']>[2] = {}) => {
    let cutOff = false;
    const written = await write(
      () => deps.store.markDelivery(claim, status, options),
      () => void (cutOff = true),
    ).catch((err: unknown) => {
      if (status === 'sent')
        sentUnrecorded.set(unrecordedKey(claim), { sentAt: options.sentAt ?? deps.now(), attempts: options.attempts ?? 1 });
      throw err;
    });
    // Refused after a try was cut off: most likely that try's commit went through (it ended the claim).
    if (!written && cutOff) log.info({ to: claim.address, status }, 'digest delivery result written by a try whose answer was lost');
    // Taken over while this sender was paused past the stale-claim timeout: the new holder's result stands.
    else if (!written) log.warn({ to: claim.address, status }, 'digest delivery claim lost to another sender; this result is dropped');
    return written;
  };

  const sendOne = async (claim: DeliveryClaim, delivery: Delivery): Promise<void> => {
    const unrecorded = sentUnrecorded.get(unrecordedKey(claim));
    if (unrecorded) {
      // Sent by an earlier attempt of this process that could not record it: recorded now, not sent again.
      sentUnrecorded.delete(unrecordedKey(claim));
      await mark(claim, 'sent', unrecorded);
      return;
    }
    if (unsubscribed.has(delivery.address)) {
      await mark(claim, 'failed', { error: 'unsubscribed before sending' });
      return;
    }
    if (bouncing?.has(delivery.address)) {
      await mark(claim, 'failed', { error: 'the address bounces (see `columnwire subscribers list --bouncing`)' });
      return;
    }
    let copy: RenderedDigest | null;
    try {
      copy = copyFor ? await copyFor(delivery.address) : rendered;
    } catch (error) {
      // This reader's copy could not be rendered: left pending (and its claim released) for the next attempt.
      log.warn({ to: delivery.address, err: error }, "digest copy for a reader's choices could not be rendered; left pending");
      await mark(claim, 'pending', { error: `rendering the reader's copy failed: ${(error as Error).message}` });
      return;
    }
    if (copy === null) {
      await mark(claim, 'skipped', { error: 'nothing this reader chose is in this run' });
      return;
    }
    if (server.unreachable !== null) {
      await mark(claim, 'pending', { error: server.unreachable });
      return;
    }
    // One write per recipient, its own commit, right after the server's reply: a crash can
    // only resend (same Message-ID) what was in flight, at most one copy per SMTP connection.
    const outcome = await sendWithRetries(
      () =>
        sendClaimed(
          () => write(() => deps.store.renewDeliveryClaim(claim, deps.now())),
          deps,
          () =>
            composeMessage(
              digest,
              copy,
              delivery.address,
              delivery.messageId,
              deps,
              deps.now(),
              standings.get(delivery.address)?.epoch,
              delivery.name,
            ),
        ),
      deps.signal?.aborted ? [] : deps.retryDelaysMs,
    );
    if (outcome.kind === 'lost') {
      log.warn(
        { to: delivery.address, attempts: outcome.attempts },
        'digest delivery claim lost to another sender before sending; this copy is dropped',
      );
      return;
    }
    if (outcome.kind === 'transient' && outcome.connection) server.unreachable = outcome.error;
    if (outcome.kind === 'sender-refused') {
      server.unreachable = outcome.error;
      await mark(claim, 'pending', { error: outcome.error, attempts: outcome.attempts });
      // One configuration problem, not one failure per reader: said once, naming the setting to fix.
      if (!server.senderRefused)
        log.error(
          { from: deps.config.mail.from, error: outcome.error },
          "the mail server refuses the sender address: fix mail.from in the config (or the relay's sender policy); copies stay pending until then",
        );
      server.senderRefused = true;
    } else if (outcome.kind === 'sent') {
      await mark(claim, 'sent', { sentAt: deps.now(), attempts: outcome.attempts });
      if (failing?.has(delivery.address)) await write(() => deps.store.clearFailures(delivery.address));
    } else {
      // A recipient's server still answering 4xx long after the run (a full mailbox, endless
      // greylisting) is given up on, as an MTA would (RFC 5321 §4.5.4.1), so the run can finish
      // and the reader never gets a week of stale digests at once. An unreachable relay is not.
      const givenUp =
        outcome.kind === 'transient' && !outcome.connection && deps.now().getTime() - run.createdAt.getTime() >= GIVE_UP_AFTER_MS;
      const error = givenUp
        ? `${outcome.error} (still refused ${GIVE_UP_AFTER_MS / 86_400_000} days after the run: given up)`
        : outcome.error;
      await mark(claim, outcome.kind === 'permanent' || givenUp ? 'failed' : 'pending', { error, attempts: outcome.attempts });
      log.warn({ to: delivery.address, error, permanent: outcome.kind === 'permanent' || givenUp }, 'digest delivery failed');
      // A permanent refusal of the mailbox (5xx: user unknown, mailbox gone) counts; enough in a row and the address bounces.
      if (outcome.kind === 'permanent' && outcome.mailbox) {
        const threshold = deps.config.mail.bounceThreshold;
        if (await write(() => deps.store.recordPermanentFailure(delivery.address, outcome.error, deps.now(), threshold)))
          log.warn({ to: delivery.address, failures: threshold }, 'address marked bouncing: no more digests are sent to it');
      }
    }
  };

  await runLimited(open, { concurrency: deps.concurrency ?? 5, perKey: Number.MAX_SAFE_INTEGER, keyOf: () => '' }, async (delivery) => {
    if (deps.signal?.aborted) return; // shutting down: left pending for the catch-up at next start
    // Only the claimer sends: another process sending this run (or one that sent it meanwhile) keeps it.
    const claim = await write(() => deps.store.claimDelivery(run.id, delivery.address, deps.now()));
    if (!claim) return;
    try {
      await sendOne(claim, delivery);
    } finally {
      // Over, recorded or given up on (the store stayed unavailable): this process may take the claim again.
      deps.store.endDeliveryAttempt(claim);
    }
  });
}

/** Closes `run` when nothing is left to send and reports where it stands. */
async function reportRun(run: DigestRun, rendered: RenderedDigest, deps: DigestDeps): Promise<RunReport> {
  const log = deps.logger.child({ digestId: run.digestId, runId: run.id });
  const done = await deps.store.finishDigestRunIfDone(run.id, deps.now());
  const counts = await deps.store.deliveryCounts(run.id);
  const count = (status: DeliveryStatus) => counts[status] ?? 0;
  // This process's claims all ended with its loop: a claim left is another sender's. Owed and
  // sending are both told from the pending copies as read here: the counts, read before, may
  // still hold a copy another sender has finished since (which would show it as owed).
  let pending = 0;
  let sending = 0;
  if (count('pending') > 0) {
    for await (const page of pendingPages(deps.store, run.id)) {
      const claimed = page.filter((delivery) => delivery.claimedAt !== null).length;
      sending += claimed;
      pending += page.length - claimed;
    }
  }
  const report = {
    runId: run.id,
    subject: rendered.subject,
    stories: run.storyIds.length,
    sent: count('sent'),
    skipped: count('skipped'),
    failed: count('failed'),
    pending,
    sending,
    done,
  };
  log.info({ ...report, via: deps.mailer.describe }, 'digest run finished');
  return report;
}

/** A send attempt's outcome, or `lost`: another sender took the claim over, so this copy must not go. */
type AttemptOutcome = SendOutcome | { kind: 'lost' };

/**
 * Renews the claim, then sends: the last check before the message goes to SMTP, so a sender
 * that was paused (SIGSTOP, suspend, a VM pause) past the stale-claim timeout and taken over
 * sends nothing; the renewal keeps a slow but healthy send's claim from going stale.
 */
async function sendClaimed(renew: () => Promise<boolean>, deps: DigestDeps, compose: () => OutgoingMessage): Promise<AttemptOutcome> {
  if (!(await renew())) return { kind: 'lost' };
  return deps.mailer.send(compose());
}

async function sendWithRetries(
  send: () => Promise<AttemptOutcome>,
  delaysMs: readonly number[],
): Promise<AttemptOutcome & { attempts: number }> {
  let outcome = await send();
  let attempts = 1;
  for (const delay of delaysMs) {
    if (outcome.kind !== 'transient') break;
    await new Promise((resolve) => setTimeout(resolve, delay));
    outcome = await send();
    attempts++;
  }
  return { ...outcome, attempts };
}

/** The HTML the next run of `digest` would send (a preview: nothing recorded, the unsubscribe link inert). */
export async function previewDigest(
  digest: DigestConfig,
  deps: Pick<DigestDeps, 'config' | 'store' | 'templates'>,
  now: Date,
): Promise<{ html: string; text: string; subject: string; stories: Story[]; recipients: string[] }> {
  const plan = await planDigest(digest, deps.config, deps.store, now);
  const rendered = await renderFor(digest, plan.stories, now, deps);
  const inert = `${deps.config.baseUrl.replace(/\/+$/, '')}/unsubscribe`;
  return {
    html: rendered.html(inert),
    text: rendered.text(inert),
    subject: rendered.subject,
    stories: plan.stories,
    recipients: (await digestRecipients(digest, deps.store)).map((recipient) => recipient.address),
  };
}
