/**
 * One run of the scale bench: a fresh store (a PostgreSQL schema, or an SQLite data folder), the
 * fleet reset to a new t0 and a new request log, the `columnwire run` processes of the plan started
 * together, the feed rows and every process's CPU sampled each second, workers killed with
 * SIGKILL (and restarted) and the PostgreSQL server restarted when the plan says so, then a
 * graceful stop and the evidence gathered.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { streamFor } from '../tests/helpers/prng.ts';
import { hostOf } from './scale-model.ts';
import { analyzeRun, readRequestLog, type Kill, type LoggedRequest, type RunAnalysis } from './scale-analysis.ts';
import type { FleetCounts } from './scale-fleet.ts';
import { observePostgres, observeSqlite, type Observer, type PostgresObserver, type StoryCounts } from './scale-observe.ts';
import { createProcSampler, startColumnwire, stopColumnwire, type Columnwire } from './scale-processes.ts';
import type { Child } from './serve-child.ts';

/** What one run starts. */
export interface RunPlan {
  name: string;
  label: string;
  mode: 'sqlite' | 'postgres';
  workers: number;
  schedulers: number;
  /** Workers killed with SIGKILL during the run (each restarted half a second later). */
  kills: number;
  /** PostgreSQL restarts during the run (`pg_ctl restart -m fast`; needs RunContext.restartPostgres). */
  restarts: number;
}

/** What every run shares. */
export interface RunContext {
  fleet: Child;
  feeds: number;
  seed: number;
  configPath: string;
  scratch: string;
  /** The bench's own database (postgres://…/columnwire_bench_<pid>). */
  databaseUrl: string;
  createSchema(schema: string): Promise<void>;
  runMs: number;
  periodMs: number;
  tickSeconds: number;
  /** Restarts the PostgreSQL server `databaseUrl` is on (a throwaway cluster of the bench's own); returns when it accepts connections again. */
  restartPostgres?: () => void;
}

/** Feeds due this long after a restart returned count as due across it. */
export const RESTART_WINDOW_MS = 30_000;

/**
 * One PostgreSQL restart: when `pg_ctl restart` began and returned; when the bench first saw a
 * fetch begun after it committed (its feed row's last_fetch_at), or null when none did; and the
 * due→fetch lags of the fetches due from its start to RESTART_WINDOW_MS after it returned.
 */
export interface Restart {
  startMs: number;
  endMs: number;
  firstCommitSeenMs: number | null;
  lagsMs: number[];
}

export interface RunResult {
  plan: RunPlan;
  startMs: number;
  endMs: number;
  analysis: RunAnalysis;
  log: LoggedRequest[];
  /** Cumulative CPU of columnwire's processes and of PostgreSQL's backends, sampled each second. */
  cpuSeries: Array<{ atMs: number; columnwireMs: number; postgresMs: number }>;
  peakRssMb: { worker: number; scheduler: number };
  fleet: FleetCounts;
  stories: StoryCounts;
  /**
   * Columns served in a complete 200 but not stored, by feed: each such feed's requests, and
   * whether a later fetch of it succeeded (a loss) or none did yet (the save was cut off, by a
   * kill or the run's end, and every fetch since failed: its backoff is still running).
   */
  unstored: Array<{ feed: number; columns: number; requests: string; fetchedSince: boolean }>;
  overdue: { overdue: number; neverFetched: number };
  problems: string[];
  kills: Kill[];
  /** PostgreSQL only: planner ticks claimed, and the ticks the run's span holds. */
  ticks: { claimed: number; expected: number; duplicates: number } | null;
  /** PostgreSQL only: poll jobs pg-boss made, and its job + archive tables' size. */
  pollJobs: { jobs: number; bytes: number } | null;
  restarts: Restart[];
}

/** A feed whose next fetch is this far past at the end counts as overdue (planner requeue after 30 s, ticks, margin). */
export const OVERDUE_MS = 90_000;

/** Runs `plan` for `context.runMs`. */
export async function runPlan(plan: RunPlan, context: RunContext): Promise<RunResult> {
  const dir = join(context.scratch, plan.name);
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, 'requests.csv');
  await context.fleet.request({ type: 'reset', feeds: context.feeds, seed: context.seed, logPath });
  const env: Record<string, string> = { COLUMNWIRE_CLUSTER_TICK_SECONDS: String(context.tickSeconds) };
  let observer: Observer;
  let postgres: PostgresObserver | null = null;
  const queueSchema = `run_${plan.name.replace(/\W/g, '_')}_jobs`;
  if (plan.mode === 'postgres') {
    const schema = `run_${plan.name.replace(/\W/g, '_')}`;
    await context.createSchema(schema);
    const url = new URL(context.databaseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    env.COLUMNWIRE_DATABASE_URL = url.href;
    env.COLUMNWIRE_QUEUE_SCHEMA = queueSchema;
    observer = postgres = observePostgres(context.databaseUrl, schema);
  } else {
    observer = observeSqlite(join(dir, 'sqlite', 'columnwire.db'));
  }
  const sampler = createProcSampler(1_000);
  const processes: Columnwire[] = [];
  const problems: string[] = [];
  let started = 0;
  const start = (role: 'sqlite' | 'worker' | 'scheduler'): Columnwire => {
    const name = `${role}-${++started}`;
    const running = startColumnwire(name, {
      configPath: context.configPath,
      dataDir: join(dir, role === 'sqlite' ? 'sqlite' : name),
      args: role === 'sqlite' ? ['run'] : ['run', '--roles', role],
      env,
      logPath: join(dir, 'columnwire.log'),
    });
    sampler.track(running.pid, role === 'scheduler' ? 'scheduler' : 'worker');
    void running.exited.then((code) => {
      if (!running.expectedExit)
        problems.push(`${name} (pid ${running.pid}) exited on its own: ${code} (log: ${join(dir, 'columnwire.log')})`);
    });
    processes.push(running);
    return running;
  };

  const startMs = Date.now();
  if (plan.mode === 'sqlite') start('sqlite');
  for (let n = 0; n < plan.workers; n++) start('worker');
  for (let n = 0; n < plan.schedulers; n++) start('scheduler');
  const endAt = startMs + context.runMs;
  const cpuSeries: RunResult['cpuSeries'] = [];
  const kills: Kill[] = [];
  const killEveryMs = plan.kills > 0 ? (context.runMs - 20_000) / plan.kills : Infinity;
  const random = streamFor(context.seed, 'kills', plan.name);
  let nextKillAt = startMs + 10_000;
  const restarted: Array<{ startMs: number; endMs: number }> = [];
  const restartEveryMs = plan.restarts > 0 && context.restartPostgres ? context.runMs / (plan.restarts + 1) : Infinity;
  let nextRestartAt = startMs + restartEveryMs;
  for (let second = 0; Date.now() < endAt; second++) {
    await observer.sample();
    // Across a restart the backends change (and asking fails while the server is down).
    if (postgres && second % 2 === 0) for (const pid of await postgres.backendPids().catch(() => [])) sampler.track(pid, 'postgres');
    sampler.sample();
    const atMs = Date.now();
    cpuSeries.push({ atMs, columnwireMs: sampler.cpuMs('worker') + sampler.cpuMs('scheduler'), postgresMs: sampler.cpuMs('postgres') });
    if (postgres && kills.length < plan.kills && atMs >= nextKillAt) {
      const alive = processes.filter((candidate) => candidate.name.startsWith('worker') && !candidate.expectedExit);
      const victim = alive[Math.floor(random() * alive.length)]!;
      // Before the schema exists (processes still migrating) there is nothing to kill mid-work: next second.
      const held = await postgres.leasedBy(victim.pid).catch(() => null);
      if (held === null) {
        await sleep(Math.max(0, atMs + 1_000 - Date.now()));
        continue;
      }
      victim.expectedExit = true;
      victim.child.kill('SIGKILL');
      kills.push({ atMs: Date.now(), pid: victim.pid, held });
      nextKillAt += killEveryMs;
      await sleep(500);
      start('worker');
    }
    if (context.restartPostgres && restarted.length < plan.restarts && atMs >= nextRestartAt) {
      const began = Date.now();
      context.restartPostgres();
      restarted.push({ startMs: began, endMs: Date.now() });
      nextRestartAt += restartEveryMs;
    }
    await sleep(Math.max(0, atMs + 1_000 - Date.now()));
  }
  const endMs = Date.now();
  sampler.sample();
  cpuSeries.push({
    atMs: endMs,
    columnwireMs: sampler.cpuMs('worker') + sampler.cpuMs('scheduler'),
    postgresMs: sampler.cpuMs('postgres'),
  });
  const peakRssMb = { worker: sampler.peakRssMb('worker'), scheduler: sampler.peakRssMb('scheduler') };
  const running = processes.filter((candidate) => !candidate.expectedExit);
  const codes = await Promise.all(running.map((candidate) => stopColumnwire(candidate)));
  codes.forEach((code, index) => {
    if (code !== 0) problems.push(`${running[index]!.name} stopped with ${code} after SIGTERM (log: ${join(dir, 'columnwire.log')})`);
  });
  sampler.stop();
  await observer.sample();
  const fleet = await context.fleet.request<FleetCounts>({ type: 'flush' });
  const log = readRequestLog(logPath);
  const analysis = analyzeRun(context.feeds, log, observer.sightings, kills, plan.mode === 'sqlite' ? context.periodMs : null);
  const stories = await observer.stories();
  const unstored = findUnstored(
    (await context.fleet.request<{ articles: string[] }>({ type: 'served' })).articles,
    await observer.storedLinks(),
    log,
    startMs,
  );
  const overdue = await observer.overdue(endMs, OVERDUE_MS);
  let ticks: RunResult['ticks'] = null;
  let pollJobs: RunResult['pollJobs'] = null;
  if (postgres) {
    const claimed = await postgres.pollTicks();
    const tickMs = context.tickSeconds * 1000;
    const expected = claimed.length === 0 ? 0 : (claimed.at(-1)! - claimed[0]!) / tickMs + 1;
    ticks = { claimed: claimed.length, expected, duplicates: claimed.length - new Set(claimed).size };
    pollJobs = await postgres.pollJobs(queueSchema).catch(() => null);
  }
  await observer.close();
  // The earliest of many (a spread of 100,000 arguments would overflow the stack).
  const earliest = (values: Iterable<number>): number | null => {
    let min: number | null = null;
    for (const value of values) if (min === null || value < min) min = value;
    return min;
  };
  const sightings = [...observer.sightings.values()].flat();
  const restarts = restarted.map(({ startMs: began, endMs: back }): Restart => ({
    startMs: began,
    endMs: back,
    firstCommitSeenMs: earliest(sightings.filter((sighting) => sighting.lastFetchAtMs >= back).map((sighting) => sighting.seenAtMs)),
    lagsMs: analysis.lagsMs.filter((_, index) => {
      const dueMs = analysis.duesMs[index]!;
      return dueMs >= began && dueMs <= back + RESTART_WINDOW_MS;
    }),
  }));
  return {
    plan,
    startMs,
    endMs,
    analysis,
    log,
    cpuSeries,
    peakRssMb,
    fleet,
    stories,
    unstored,
    overdue,
    problems,
    kills,
    ticks,
    pollJobs,
    restarts,
  };
}

/** Cumulative CPU at `atMs`, read from the series (the sample at or just after it). */
export function cpuAt(series: RunResult['cpuSeries'], atMs: number): { columnwireMs: number; postgresMs: number } {
  return series.find((point) => point.atMs >= atMs) ?? series.at(-1) ?? { columnwireMs: 0, postgresMs: 0 };
}

/**
 * Columns served in a complete 200 whose canonical link no stored story has, by feed, each with
 * its requests (seconds from the run's start, status, whether the body was complete, items) and
 * whether a fetch that succeeded (200 or 304) followed the last one that served them.
 */
function findUnstored(
  served: readonly string[],
  stored: ReadonlySet<string>,
  log: readonly LoggedRequest[],
  startMs: number,
): RunResult['unstored'] {
  const linkOf = (article: string): string => {
    const [owner, k] = article.split('/') as [string, string];
    return owner === 'wire'
      ? `https://wire.example.net/story/${k}`
      : `https://columns${hostOf(Number(owner.slice(1)))}.example.com/${article}`;
  };
  const byFeed = new Map<number, number>();
  for (const article of served) {
    if (stored.has(linkOf(article)) || article.startsWith('wire/')) continue;
    const feed = Number(article.slice(1, article.indexOf('/')));
    byFeed.set(feed, (byFeed.get(feed) ?? 0) + 1);
  }
  const seconds = (ms: number) => ((ms - startMs) / 1000).toFixed(1);
  return [...byFeed].map(([feed, columns]) => {
    const requests = log.filter((request) => request.feed === feed).sort((a, b) => a.startMs - b.startMs);
    const lastServed = requests.findLastIndex((request) => request.status === 200 && request.completed);
    return {
      feed,
      columns,
      requests: requests
        .map((request) => `${seconds(request.startMs)}–${seconds(request.endMs)} s ${request.status}${request.completed ? '' : ' cut'}`)
        .join(', '),
      fetchedSince: requests
        .slice(lastServed + 1)
        .some((request) => request.completed && (request.status === 200 || request.status === 304)),
    };
  });
}
