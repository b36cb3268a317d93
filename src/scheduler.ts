/** Cron wiring (the only importer of node-cron): runs the jobs it is given, never two runs of one job at once. */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from './logger.ts';

/** Why a cron expression is invalid, or null when it is valid. */
export function describeScheduleError(expression: string): string | null {
  const result = cron.validateDetailed(expression);
  if (result.valid) return null;
  const detail = result.errors.map((error) => `${error.field}: ${error.message}`).join('; ');
  return `"${expression}" is not a valid cron expression${detail ? ` (${detail})` : ''}`;
}

/** Minutes between the next two runs of a cron expression (30 for every half hour). */
export function scheduleIntervalMinutes(expression: string): number {
  return gapMinutes(expression, 2);
}

/** The longest wait between two runs of a cron expression over its next `runs` runs: "0 8,9 * * *" waits 23 h at most. */
export function scheduleMaxGapMinutes(expression: string, runs = 50): number {
  return gapMinutes(expression, runs);
}

/** The longest gap, in whole minutes (at least 1), among the next `runs` runs; 60 when it never runs twice. */
function gapMinutes(expression: string, runs: number): number {
  const task = cron.createTask(expression, () => {});
  try {
    const times = task.getNextRuns(runs).map((date) => date.getTime());
    let gapMs = 0;
    for (let index = 1; index < times.length; index++) gapMs = Math.max(gapMs, times[index]! - times[index - 1]!);
    return gapMs > 0 ? Math.max(1, Math.round(gapMs / 60_000)) : 60;
  } finally {
    void task.destroy();
  }
}

/**
 * The latest minute in (after, now] at which `expression` fires in `timezone` (default the
 * system's), or null: how a restart learns that a scheduled run was missed while the service
 * was down. Scans at most `maxDays` back, minute by minute (cheap: about 10,000 matches a week).
 */
export function lastScheduledRun(expression: string, timezone: string | undefined, after: Date, now: Date, maxDays = 8): Date | null {
  const task = cron.createTask(expression, () => {}, timezone ? { timezone } : {});
  try {
    const floor = Math.max(after.getTime(), now.getTime() - maxDays * 86_400_000);
    for (let minute = Math.floor(now.getTime() / 60_000) * 60_000; minute > floor; minute -= 60_000) {
      if (task.match(new Date(minute))) return new Date(minute);
    }
    return null;
  } finally {
    void task.destroy();
  }
}

/**
 * Whether `expression` (system time zone, like the poll job) fired in (after, now]: a run was
 * missed. True too when `after` is older than the `maxDays` scanned: that long without a run is overdue.
 */
export function missedRunSince(expression: string, after: Date, now: Date, maxDays = 8): boolean {
  if (after.getTime() <= now.getTime() - maxDays * 86_400_000) return true;
  return lastScheduledRun(expression, undefined, after, now, maxDays) !== null;
}

/**
 * The first run of `expression` (system time zone) strictly after `now` and not before `from`:
 * when a job on that schedule next acts on something that waits until `from`. Null when none
 * within `maxDays` of the later of the two.
 */
export function firstRunFrom(expression: string, from: Date, now: Date, maxDays = 8): Date | null {
  const task = cron.createTask(expression, () => {});
  try {
    // Cron fires on whole minutes (whole seconds with a six-field expression): the first candidate
    // is the first step after `now` and not before `from`.
    const step = expression.trim().split(/\s+/).length === 6 ? 1000 : 60_000;
    const start = Math.max(Math.ceil(from.getTime() / step), Math.floor(now.getTime() / step) + 1) * step;
    for (let at = start; at <= start + maxDays * 86_400_000; at += step) {
      if (task.match(new Date(at))) return new Date(at);
    }
    return null;
  } finally {
    void task.destroy();
  }
}

export interface Scheduler {
  /** Runs `job` on `expression` (in `timezone`, default the system's); a run still busy makes the next one skip. */
  add(name: string, expression: string, job: () => Promise<void>, timezone?: string): void;
  /** Stops and forgets a job (a run in progress finishes); nothing when there is none. */
  remove(name: string): Promise<void>;
  /** The names of the jobs. */
  names(): string[];
  /** When `name` runs next, or null. */
  nextRun(name: string): Date | null;
  stop(): Promise<void>;
}

/** Creates an empty scheduler; jobs start as they are added. */
export function createScheduler(logger: Logger): Scheduler {
  const tasks = new Map<string, ScheduledTask>();
  return {
    add(name, expression, job, timezone) {
      const task = cron.schedule(
        expression,
        async () => {
          try {
            await job();
          } catch (err) {
            logger.error({ err, job: name }, 'scheduled job failed');
          }
        },
        { name, noOverlap: true, ...(timezone ? { timezone } : {}) },
      );
      task.on('execution:overlap', () => logger.warn({ job: name }, 'previous run still busy; skipped this one'));
      tasks.set(name, task);
    },
    async remove(name) {
      const task = tasks.get(name);
      tasks.delete(name);
      await task?.destroy();
    },
    names: () => [...tasks.keys()],
    nextRun: (name) => tasks.get(name)?.getNextRun() ?? null,
    async stop() {
      for (const task of tasks.values()) await task.destroy();
      tasks.clear();
    },
  };
}
