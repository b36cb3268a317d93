import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { createScheduler, describeScheduleError, lastScheduledRun, scheduleMaxGapMinutes } from '../src/scheduler.ts';

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

describe('scheduleMaxGapMinutes', () => {
  it.each([
    { expression: '*/30 * * * *', minutes: 30 },
    { expression: '0 8,9 * * *', minutes: 23 * 60 },
    { expression: '0 7 * * 1', minutes: 7 * 24 * 60 },
  ])('waits at most $minutes min between runs of "$expression"', ({ expression, minutes }) => {
    expect(scheduleMaxGapMinutes(expression)).toBe(minutes);
  });
});
