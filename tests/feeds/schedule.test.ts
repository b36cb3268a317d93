import { describe, expect, it } from 'vitest';
import type { FeedState, WaitReason } from '../../src/model.ts';
import { isDue, MAX_WAIT_MS, nextFetchAfterFailure, nextFetchAfterSuccess, parseRetryAfter } from '../../src/feeds/schedule.ts';

const now = new Date('2025-06-02T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Milliseconds from `now` to a scheduled date. */
const waitOf = (date: Date): number => date.getTime() - now.getTime();

describe('nextFetchAfterSuccess', () => {
  it.each([
    { behaviour: 'comes back at once without any hint', ttlMinutes: null, headers: null, waitMs: 0 },
    { behaviour: 'honours the RSS <ttl> in minutes', ttlMinutes: 60, headers: null, waitMs: HOUR },
    {
      behaviour: 'honours Cache-Control max-age in seconds',
      ttlMinutes: null,
      headers: { 'cache-control': 'public, max-age=900' },
      waitMs: 15 * MINUTE,
    },
    {
      behaviour: 'reads a quoted max-age',
      ttlMinutes: null,
      headers: { 'cache-control': 'max-age="600"' },
      waitMs: 10 * MINUTE,
    },
    {
      behaviour: 'takes the longer of <ttl> and max-age',
      ttlMinutes: 30,
      headers: { 'cache-control': 'max-age=7200' },
      waitMs: 2 * HOUR,
    },
    {
      behaviour: 'ignores max-age when no-cache is also given',
      ttlMinutes: null,
      headers: { 'cache-control': 'no-cache, max-age=3600' },
      waitMs: 0,
    },
    {
      behaviour: 'ignores max-age when no-store is also given',
      ttlMinutes: null,
      headers: { 'cache-control': 'no-store, max-age=3600' },
      waitMs: 0,
    },
    {
      behaviour: 'measures Expires against the server Date header, not our clock',
      ttlMinutes: null,
      // The server's clock is a day behind ours; Expires is 2 h after its Date.
      headers: { date: 'Sun, 01 Jun 2025 12:00:00 GMT', expires: 'Sun, 01 Jun 2025 14:00:00 GMT' },
      waitMs: 2 * HOUR,
    },
    {
      behaviour: 'measures Expires against now when there is no Date header',
      ttlMinutes: null,
      headers: { expires: 'Mon, 02 Jun 2025 12:30:00 GMT' },
      waitMs: 30 * MINUTE,
    },
    {
      behaviour: 'treats an Expires in the past as no wait',
      ttlMinutes: null,
      headers: { date: 'Mon, 02 Jun 2025 12:00:00 GMT', expires: 'Mon, 02 Jun 2025 11:00:00 GMT' },
      waitMs: 0,
    },
    {
      behaviour: 'treats an unreadable Expires ("0") as no wait',
      ttlMinutes: null,
      headers: { expires: '0' },
      waitMs: 0,
    },
    {
      behaviour: 'lets max-age override a longer Expires (RFC 9111 §5.3)',
      ttlMinutes: null,
      headers: { 'cache-control': 'max-age=60', date: 'Mon, 02 Jun 2025 12:00:00 GMT', expires: 'Mon, 02 Jun 2025 18:00:00 GMT' },
      waitMs: MINUTE,
    },
    { behaviour: 'caps a huge <ttl> at 24 h', ttlMinutes: 60 * 24 * 30, headers: null, waitMs: MAX_WAIT_MS },
    {
      behaviour: 'caps a huge max-age at 24 h',
      ttlMinutes: null,
      headers: { 'cache-control': 'max-age=31536000' },
      waitMs: MAX_WAIT_MS,
    },
  ])('$behaviour', ({ ttlMinutes, headers, waitMs }) => {
    const next = nextFetchAfterSuccess(now, { ttlMinutes, headers: headers === null ? null : new Headers(headers) });
    expect(waitOf(next)).toBe(waitMs);
  });

  it('the 24 h cap is a day', () => {
    expect(MAX_WAIT_MS).toBe(24 * HOUR);
  });
});

describe('nextFetchAfterFailure', () => {
  it.each([
    { behaviour: 'waits a minute after the first failure (no jitter at random 0.5)', errors: 1, random: 0.5, waitMs: MINUTE },
    { behaviour: 'doubles after the second failure', errors: 2, random: 0.5, waitMs: 2 * MINUTE },
    { behaviour: 'doubles again after the third', errors: 3, random: 0.5, waitMs: 4 * MINUTE },
    { behaviour: 'reaches 64 min after seven failures', errors: 7, random: 0.5, waitMs: 64 * MINUTE },
    { behaviour: 'jitters down to 75% at random 0', errors: 3, random: 0, waitMs: 3 * MINUTE },
    { behaviour: 'jitters up to 125% at random 1', errors: 3, random: 1, waitMs: 5 * MINUTE },
    { behaviour: 'treats a count of 0 like the first failure', errors: 0, random: 0.5, waitMs: MINUTE },
  ])('$behaviour', ({ errors, random, waitMs }) => {
    const next = nextFetchAfterFailure(now, errors, null, () => random);
    expect(waitOf(next.nextFetchAt)).toBe(waitMs);
    expect(next.waitReason).toBe('backoff');
  });

  it.each([0, 0.5, 1])('never waits more than 24 h, even after 10 000 failures (random %s)', (random) => {
    const next = nextFetchAfterFailure(now, 10_000, null, () => random);
    expect(waitOf(next.nextFetchAt)).toBeLessThanOrEqual(MAX_WAIT_MS);
    expect(waitOf(next.nextFetchAt)).toBeGreaterThanOrEqual(0.75 * MAX_WAIT_MS);
  });

  it('waits exactly 24 h for a huge error count at the top of the jitter', () => {
    expect(waitOf(nextFetchAfterFailure(now, 10_000, null, () => 1).nextFetchAt)).toBe(MAX_WAIT_MS);
  });

  it('keeps growing until the cap: each failure waits at least as long as the one before', () => {
    const waits = Array.from({ length: 30 }, (_, i) => waitOf(nextFetchAfterFailure(now, i + 1, null, () => 0.5).nextFetchAt));
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]!);
    expect(waits.at(-1)).toBe(MAX_WAIT_MS);
  });

  it.each([
    { behaviour: 'lets a longer Retry-After win and says so', errors: 1, retryAfterMs: HOUR, waitMs: HOUR, reason: 'retry-after' },
    { behaviour: 'keeps the backoff when Retry-After is shorter', errors: 3, retryAfterMs: 10_000, waitMs: 4 * MINUTE, reason: 'backoff' },
    { behaviour: 'ignores a Retry-After of 0', errors: 1, retryAfterMs: 0, waitMs: MINUTE, reason: 'backoff' },
    {
      behaviour: 'caps a Retry-After of a week at 24 h',
      errors: 1,
      retryAfterMs: 7 * 24 * HOUR,
      waitMs: MAX_WAIT_MS,
      reason: 'retry-after',
    },
  ])('$behaviour', ({ errors, retryAfterMs, waitMs, reason }) => {
    const next = nextFetchAfterFailure(now, errors, retryAfterMs, () => 0.5);
    expect(waitOf(next.nextFetchAt)).toBe(waitMs);
    expect(next.waitReason).toBe(reason);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    { behaviour: 'reads delay-seconds', value: '120', expected: 120_000 },
    { behaviour: 'reads delay-seconds with spaces around', value: ' 3600 ', expected: 3_600_000 },
    { behaviour: 'reads 0 seconds', value: '0', expected: 0 },
    { behaviour: 'reads an HTTP-date as the time until it', value: 'Mon, 02 Jun 2025 12:05:00 GMT', expected: 5 * MINUTE },
    { behaviour: 'reads an obsolete RFC 850 date', value: 'Monday, 02-Jun-25 13:00:00 GMT', expected: HOUR },
    { behaviour: 'reads an HTTP-date in the past as no wait', value: 'Sun, 01 Jun 2025 12:00:00 GMT', expected: 0 },
    { behaviour: 'returns null without a header', value: null, expected: null },
    { behaviour: 'returns null for an empty header', value: '  ', expected: null },
    { behaviour: 'returns null for words', value: 'soon', expected: null },
    { behaviour: 'returns null for seconds with a unit', value: '120s', expected: null },
    // RFC 9110 §10.2.3: delay-seconds is 1*DIGIT, so these are unreadable, not dates in 2001.
    { behaviour: 'returns null for a negative delay', value: '-5', expected: null },
    { behaviour: 'returns null for a fractional delay', value: '1.5', expected: null },
  ])('$behaviour ($value)', ({ value, expected }) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('isDue', () => {
  const feed = (nextFetchAt: Date | null, waitReason: WaitReason | null): FeedState => ({
    id: 'ledger',
    url: 'https://ledger.example/rss',
    configuredUrl: 'https://ledger.example/rss',
    title: null,
    siteLink: null,
    etag: null,
    lastModified: null,
    lastFetchAt: null,
    lastSuccessAt: null,
    nextFetchAt,
    waitReason,
    ttlMinutes: null,
    bodyHash: null,
    consecutiveErrors: waitReason === 'schedule' || waitReason === null ? 0 : 1,
    lastError: null,
  });
  const later = new Date(now.getTime() + HOUR);
  const earlier = new Date(now.getTime() - MINUTE);

  it.each([
    { behaviour: 'a never-fetched feed is due', next: null, reason: null, mode: 'scheduled', force: false, due: true },
    { behaviour: 'a feed whose time has passed is due', next: earlier, reason: 'backoff', mode: 'scheduled', force: false, due: true },
    { behaviour: 'a feed whose time is exactly now is due', next: now, reason: 'retry-after', mode: 'scheduled', force: false, due: true },
    {
      behaviour: 'a scheduled run waits for the publisher interval',
      next: later,
      reason: 'schedule',
      mode: 'scheduled',
      force: false,
      due: false,
    },
    { behaviour: 'a scheduled run waits out a backoff', next: later, reason: 'backoff', mode: 'scheduled', force: false, due: false },
    {
      behaviour: 'a scheduled run waits out a Retry-After',
      next: later,
      reason: 'retry-after',
      mode: 'scheduled',
      force: false,
      due: false,
    },
    { behaviour: 'a manual run ignores the publisher interval', next: later, reason: 'schedule', mode: 'manual', force: false, due: true },
    { behaviour: 'a manual run still waits out a backoff', next: later, reason: 'backoff', mode: 'manual', force: false, due: false },
    {
      behaviour: 'a manual run still waits out a Retry-After',
      next: later,
      reason: 'retry-after',
      mode: 'manual',
      force: false,
      due: false,
    },
    { behaviour: 'force fetches a feed in backoff', next: later, reason: 'backoff', mode: 'manual', force: true, due: true },
    { behaviour: 'force fetches a feed asked to wait', next: later, reason: 'retry-after', mode: 'manual', force: true, due: true },
    { behaviour: 'force overrides a scheduled wait too', next: later, reason: 'retry-after', mode: 'scheduled', force: true, due: true },
  ] as const)('$behaviour', ({ next, reason, mode, force, due }) => {
    expect(isDue(feed(next, reason), now, mode, force)).toBe(due);
  });
});
