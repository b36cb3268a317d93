import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { dueAtStart } from '../src/feeds/poll-all.ts';
import type { FeedState } from '../src/model.ts';
import {
  createScheduler,
  describeScheduleError,
  firstRunFrom,
  lastScheduledRun,
  missedRunSince,
  scheduleMaxGapMinutes,
} from '../src/scheduler.ts';

describe('describeScheduleError', () => {
  it.each(['*/30 * * * *', '0 7 * * *', '0 */2 * * 1-5'])('accepts %s', (expression) => {
    expect(describeScheduleError(expression)).toBeNull();
  });
  it.each(['every hour', '61 * * * *', '* * * *'])('explains what is wrong with %s', (expression) => {
    expect(describeScheduleError(expression)).toContain(`"${expression}" is not a valid cron expression`);
  });
});

describe('createScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-27T10:05:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a job on its cron schedule and reports the next run', async () => {
    const scheduler = createScheduler(createLogger({ level: 'silent' }));
    const runs: string[] = [];
    scheduler.add('poll', '*/30 * * * *', () => {
      runs.push(new Date().toISOString());
      return Promise.resolve();
    });
    expect(scheduler.nextRun('poll')?.toISOString()).toBe('2026-11-27T10:30:00.000Z');
    await vi.advanceTimersByTimeAsync(60 * 60 * 1000);
    expect(runs.map((at) => at.slice(11, 16))).toEqual(['10:30', '11:00']);
    await scheduler.stop();
    await vi.advanceTimersByTimeAsync(60 * 60 * 1000);
    expect(runs).toHaveLength(2);
  });

  it('keeps running after a job throws', async () => {
    const scheduler = createScheduler(createLogger({ level: 'silent' }));
    let calls = 0;
    scheduler.add('flaky', '*/30 * * * *', () => {
      calls++;
      return Promise.reject(new Error('boom'));
    });
    await vi.advanceTimersByTimeAsync(60 * 60 * 1000);
    expect(calls).toBe(2);
    await scheduler.stop();
  });
});

describe("digest schedules in the reader's time zone", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires at 07:00 London time on both sides of the spring DST change', async () => {
    // Europe/London moves from GMT to BST at 01:00 UTC on Sunday 29 March 2026.
    vi.useFakeTimers({ now: new Date('2026-03-27T12:00:00Z') });
    const scheduler = createScheduler(createLogger({ level: 'silent' }));
    const runs: string[] = [];
    scheduler.add(
      'digest',
      '0 7 * * *',
      () => {
        runs.push(new Date().toISOString());
        return Promise.resolve();
      },
      'Europe/London',
    );
    await vi.advanceTimersByTimeAsync(3 * 24 * 3600 * 1000);
    await scheduler.stop();
    expect(runs.map((at) => at.slice(0, 16))).toEqual(['2026-03-28T07:00', '2026-03-29T06:00', '2026-03-30T06:00']);
  });

  it('fires at 07:00 New York time across the autumn change', async () => {
    // America/New_York moves from EDT to EST at 06:00 UTC on Sunday 1 November 2026.
    vi.useFakeTimers({ now: new Date('2026-10-31T00:00:00Z') });
    const scheduler = createScheduler(createLogger({ level: 'silent' }));
    const runs: string[] = [];
    scheduler.add(
      'digest',
      '0 7 * * *',
      () => {
        runs.push(new Date().toISOString());
        return Promise.resolve();
      },
      'America/New_York',
    );
    await vi.advanceTimersByTimeAsync(2 * 24 * 3600 * 1000);
    await scheduler.stop();
    expect(runs.map((at) => at.slice(0, 16))).toEqual(['2026-10-31T11:00', '2026-11-01T12:00']);
  });
});

describe('lastScheduledRun', () => {
  it.each([
    ['a run missed since the last one', '2026-11-26T08:00:00Z', '2026-11-27T09:00:00Z', 'Europe/London', '2026-11-27T07:00:00.000Z'],
    ['nothing missed yet today', '2026-11-27T07:30:00Z', '2026-11-27T09:00:00Z', 'Europe/London', null],
    ['not yet 07:00 in New York', '2026-11-26T13:00:00Z', '2026-11-27T09:00:00Z', 'America/New_York', null],
    ['07:00 BST is 06:00 UTC in summer', '2026-07-01T07:00:00Z', '2026-07-02T06:30:00Z', 'Europe/London', '2026-07-02T06:00:00.000Z'],
  ])('finds %s', (_name, after, now, timezone, expected) => {
    expect(lastScheduledRun('0 7 * * *', timezone, new Date(after), new Date(now))?.toISOString() ?? null).toBe(expected);
  });
});

// Quarter-hour schedules fire at the same instants in every time zone the tests may run in.
describe('firstRunFrom (when the poller really fetches a feed)', () => {
  it.each([
    ['waiting for nothing: the next tick after now', '2026-11-27T09:00:00Z', '2026-11-27T09:07:30Z', '2026-11-27T09:15:00.000Z'],
    ['a wait ending before the next tick', '2026-11-27T09:10:00Z', '2026-11-27T09:07:30Z', '2026-11-27T09:15:00.000Z'],
    ['a wait ending between ticks: the tick after it', '2026-11-27T09:20:00Z', '2026-11-27T09:07:30Z', '2026-11-27T09:30:00.000Z'],
    ['a wait ending on a tick: that tick', '2026-11-27T09:45:00Z', '2026-11-27T09:07:30Z', '2026-11-27T09:45:00.000Z'],
    ['on a tick now: the next one', '2026-11-27T09:00:00Z', '2026-11-27T09:15:00Z', '2026-11-27T09:30:00.000Z'],
  ])('%s', (_name, from, now, expected) => {
    expect(firstRunFrom('*/15 * * * *', new Date(from), new Date(now))?.toISOString()).toBe(expected);
  });
  it('steps by seconds for a six-field expression', () => {
    const next = firstRunFrom('*/20 * * * * *', new Date('2026-11-27T09:00:00Z'), new Date('2026-11-27T09:00:05Z'));
    expect(next?.toISOString()).toBe('2026-11-27T09:00:20.000Z');
  });
});

describe('missedRunSince and dueAtStart (what a restart polls)', () => {
  const now = new Date('2026-11-27T09:20:00Z');
  const fetched = (
    lastFetchAt: string | null,
    nextFetchAt: string | null,
    waitReason: FeedState['waitReason'] = 'schedule',
  ): FeedState => ({
    id: 'a',
    url: 'https://a.example.com/feed',
    configuredUrl: 'https://a.example.com/feed',
    title: null,
    siteLink: null,
    etag: null,
    lastModified: null,
    lastFetchAt: lastFetchAt === null ? null : new Date(lastFetchAt),
    lastSuccessAt: null,
    nextFetchAt: nextFetchAt === null ? null : new Date(nextFetchAt),
    waitReason,
    ttlMinutes: null,
    bodyHash: null,
    consecutiveErrors: 0,
    lastError: null,
  });
  it('sees a tick in (after, now], and calls a gap longer than the scan window missed', () => {
    expect(missedRunSince('*/15 * * * *', new Date('2026-11-27T09:14:00Z'), now)).toBe(true);
    expect(missedRunSince('*/15 * * * *', new Date('2026-11-27T09:15:00Z'), now)).toBe(false);
    expect(missedRunSince('0 0 1 1 *', new Date('2026-11-01T00:00:00Z'), now)).toBe(true);
  });
  it.each([
    ['never fetched', fetched(null, null), true],
    ['moved to a new URL (nextFetchAt cleared)', fetched('2026-11-27T09:16:00Z', null), true],
    ['fetched after the last tick', fetched('2026-11-27T09:16:00Z', '2026-11-27T09:16:00Z'), false],
    ['fetched before a tick it then missed', fetched('2026-11-27T09:01:00Z', '2026-11-27T09:01:00Z'), true],
    ['waiting for the publisher past now', fetched('2026-11-27T09:01:00Z', '2026-11-27T10:00:00Z'), false],
    ['a publisher wait that ended after the last tick', fetched('2026-11-27T09:01:00Z', '2026-11-27T09:17:00Z'), false],
    ['a backoff that ended before a tick', fetched('2026-11-27T08:59:00Z', '2026-11-27T09:05:00Z', 'backoff'), true],
  ])('%s: due %s', (_name, feed, due) => {
    expect(dueAtStart(feed, now, '*/15 * * * *')).toBe(due);
  });
});

describe('scheduleMaxGapMinutes', () => {
  it.each([
    { expression: '*/30 * * * *', minutes: 30 },
    { expression: '0 8,9 * * *', minutes: 23 * 60 },
    { expression: '0 7 * * 1', minutes: 7 * 24 * 60 },
  ])('waits at most $minutes min between runs of "$expression"', ({ expression, minutes }) => {
    expect(scheduleMaxGapMinutes(expression)).toBe(minutes);
  });
});
