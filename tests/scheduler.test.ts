import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { createScheduler, describeScheduleError } from '../src/scheduler.ts';

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
    const scheduler = createScheduler(createLogger('silent'));
    const runs: string[] = [];
    scheduler.add('poll', '*/30 * * * *', async () => {
      runs.push(new Date().toISOString());
    });
    expect(scheduler.nextRun('poll')?.toISOString()).toBe('2026-11-27T10:30:00.000Z');
    await vi.advanceTimersByTimeAsync(60 * 60 * 1000);
    expect(runs.map((at) => at.slice(11, 16))).toEqual(['10:30', '11:00']);
    await scheduler.stop();
    await vi.advanceTimersByTimeAsync(60 * 60 * 1000);
    expect(runs).toHaveLength(2);
  });

  it('keeps running after a job throws', async () => {
    const scheduler = createScheduler(createLogger('silent'));
    let calls = 0;
    scheduler.add('flaky', '*/30 * * * *', async () => {
      calls++;
      throw new Error('boom');
    });
    await vi.advanceTimersByTimeAsync(60 * 60 * 1000);
    expect(calls).toBe(2);
    await scheduler.stop();
  });
});
