/**
 * The scale bench's report: one table (two rows per run: the first round, when every feed is due
 * at once, and the steady state after it, each feed on its own clock), the fleet's answers, the
 * correctness checks (PASS/FAIL, from the request log and the database) and the issue's targets.
 * Returns false when a correctness check failed.
 */
import { feedId } from './scale-model.ts';
import { availableParallelism } from 'node:os';
import { percentile } from './scale-analysis.ts';
import { formatColumns, fmt } from './measure.ts';
import { cpuAt, OVERDUE_MS, RESTART_WINDOW_MS, type RunResult } from './scale-run.ts';

interface Phase {
  /** The first round did not end within the run: its figures are those of the run's whole span. */
  unfinished?: boolean;
  seconds: number;
  fetches: number;
  items: number;
  columnwireCpuMs: number;
  postgresCpuMs: number;
}

/** The first round (start → every feed's first request answered) and the steady state after it. */
function phases(result: RunResult, feeds: number): { first: Phase | null; steady: Phase | null } {
  const { analysis, log, cpuSeries, startMs, endMs } = result;
  const roundEnd = analysis.firstRoundEndMs;
  const zero = cpuAt(cpuSeries, startMs);
  if (roundEnd === null || roundEnd > endMs) {
    // Unfinished (a run shorter than the round): what was fetched so far, at what CPU cost.
    const last = cpuSeries.at(-1);
    const requests = log.filter((request) => request.endMs <= endMs);
    if (!last || requests.length === 0) return { first: null, steady: null };
    return {
      first: {
        unfinished: true,
        seconds: (endMs - startMs) / 1000,
        fetches: requests.length,
        items: requests.reduce((sum, request) => sum + request.items, 0),
        columnwireCpuMs: last.columnwireMs - zero.columnwireMs,
        postgresCpuMs: last.postgresMs - zero.postgresMs,
      },
      steady: null,
    };
  }
  const mid = cpuAt(cpuSeries, roundEnd);
  const last = cpuSeries.at(-1)!;
  const within = (from: number, to: number) => log.filter((request) => request.endMs > from && request.endMs <= to);
  const firstRequests = within(0, roundEnd);
  const steadyRequests = within(roundEnd, endMs);
  return {
    first: {
      seconds: (roundEnd - startMs) / 1000,
      fetches: feeds,
      items: firstRequests.reduce((sum, request) => sum + request.items, 0),
      columnwireCpuMs: mid.columnwireMs - zero.columnwireMs,
      postgresCpuMs: mid.postgresMs - zero.postgresMs,
    },
    steady:
      endMs - roundEnd < 10_000
        ? null
        : {
            seconds: (endMs - roundEnd) / 1000,
            fetches: steadyRequests.length,
            items: steadyRequests.reduce((sum, request) => sum + request.items, 0),
            columnwireCpuMs: last.columnwireMs - mid.columnwireMs,
            postgresCpuMs: last.postgresMs - mid.postgresMs,
          },
  };
}

const dash = '–';
const num = (value: number | undefined, digits = 0): string => (value === undefined || !Number.isFinite(value) ? dash : fmt(value, digits));

/** Prints the report; false when a correctness check failed. */
export function printScaleReport(results: readonly RunResult[], setup: { feeds: number; periodMs: number; tickSeconds: number }): boolean {
  const { feeds, periodMs } = setup;
  const baseline = results.find((result) => result.plan.mode === 'sqlite');
  const baselinePhases = baseline ? phases(baseline, feeds) : null;
  const perK = (phase: Phase, cpuMs: number) => cpuMs / 1000 / (phase.fetches / 1000);
  const body: string[][] = [];
  for (const result of results) {
    const { first, steady } = phases(result, feeds);
    const workers = Math.max(1, result.plan.workers);
    const lags = result.analysis.lagsMs;
    for (const [phaseName, phase, base] of [
      ['first round: all due', first, baselinePhases?.first ?? null],
      ['steady: each on its clock', steady, baselinePhases?.steady ?? null],
    ] as const) {
      const isSteady = phaseName.startsWith('steady');
      if (!phase) {
        body.push([result.plan.label, phaseName, 'did not finish', ...Array<string>(11).fill(dash)]);
        continue;
      }
      const rate = phase.fetches / phase.seconds;
      const totalPerK = perK(phase, phase.columnwireCpuMs + phase.postgresCpuMs);
      body.push([
        result.plan.label,
        phase.unfinished ? `${phaseName} (unfinished)` : phaseName,
        `${fmt(phase.fetches)} fetches, ${fmt(phase.items)} items`,
        num(phase.seconds, 1),
        num(rate, 1),
        num(rate / workers, 1),
        num(phase.items / phase.seconds),
        num(perK(phase, phase.columnwireCpuMs), 2),
        result.plan.mode === 'postgres' ? num(perK(phase, phase.postgresCpuMs), 2) : dash,
        isSteady ? num(percentile(lags, 50) / 1000, 1) : dash,
        isSteady ? num(percentile(lags, 99) / 1000, 1) : dash,
        num(result.peakRssMb.worker),
        base ? num(rate / (base.fetches / base.seconds), 2) : dash,
        base ? num(totalPerK / perK(base, base.columnwireCpuMs + base.postgresCpuMs), 2) : dash,
      ]);
    }
  }
  console.log(
    `\nscale: ${fmt(feeds)} feeds, every feed due every ${periodMs / 60_000} min (offered ${fmt(feeds / (periodMs / 1000), 1)} feeds/s)`,
  );
  console.log(
    formatColumns(
      [
        'what ran',
        'phase',
        'how much',
        's',
        'feeds/s',
        'per worker',
        'items/s',
        'CPU-s/1k cw',
        'CPU-s/1k pg',
        'lag p50 s',
        'lag p99 s',
        'peak RSS MB',
        'x SQLite feeds/s',
        'x SQLite CPU',
      ],
      body,
      3,
    ),
  );
  console.log(
    "CPU-s/1k: CPU seconds per 1,000 fetches, cw = columnwire's processes (every worker and scheduler, /proc), pg = PostgreSQL's backends serving them; x SQLite CPU compares cw+pg with SQLite's one process. peak RSS: the largest one worker (or the SQLite process). lag: due (next_fetch_at; SQLite: the cron cycle after it) → request start, every fetch after a feed's first.",
  );
  for (const result of results) {
    const statuses = Object.entries(result.fleet.byStatus)
      .map(([status, count]) => `${status}: ${fmt(count)}`)
      .join(', ');
    const schedulerRss = result.plan.schedulers > 0 ? `; scheduler peak RSS ${fmt(result.peakRssMb.scheduler)} MB` : '';
    const jobs =
      result.pollJobs === null
        ? ''
        : `; pg-boss poll jobs created ${fmt(result.pollJobs.jobs)}, its job + archive tables ${fmt(result.pollJobs.bytes / 1024 / 1024, 1)} MB`;
    console.log(
      `${result.plan.name}: ${fmt(result.analysis.requests)} requests (${statuses}); ${fmt(result.fleet.servedArticles)} distinct columns served, ${fmt(result.stories.stories)} stories stored; lag max ${num(Math.max(0, ...result.analysis.lagsMs) / 1000, 1)} s over ${fmt(result.analysis.lagsMs.length)} due fetches (${result.analysis.unknownDue} without a sampled due time); ${fmt(result.overdue.overdue)} feeds overdue by > ${OVERDUE_MS / 1000} s at the end${schedulerRss}${jobs}`,
    );
    // What a long wait followed tells why it was long (a 429's Retry-After, a fetch cut off, a restart).
    if (Math.max(0, ...result.analysis.lagsMs) > 30_000) {
      for (const wait of result.analysis.longestWaits) console.log(`  longest wait: ${wait}`);
    }
  }

  const checks: Array<[boolean, string]> = [];
  for (const result of results) {
    const { analysis, plan, stories } = result;
    const name = plan.name;
    const sample = (list: readonly string[]) => (list.length > 0 ? ` (first: ${list[0]})` : '');
    checks.push([analysis.neverRequested === 0, `${name}: every feed fetched at least once (${analysis.neverRequested} never)`]);
    checks.push([
      analysis.overlaps.length === 0,
      `${name}: 0 overlapping fetches of one feed (${analysis.overlaps.length})${sample(analysis.overlaps)}`,
    ]);
    checks.push([
      analysis.beforeDue.length === 0,
      `${name}: 0 fetches before due, first round excluded (${analysis.beforeDue.length} of ${fmt(analysis.lagsMs.length)})${sample(analysis.beforeDue)}`,
    ]);
    checks.push([
      stories.duplicateRows === 0,
      `${name}: 0 duplicate stories (${stories.duplicateRows} extra rows over ${stories.duplicateLinks} canonical links)`,
    ]);
    const lost = result.unstored.filter((feed) => feed.fetchedSince);
    const waiting = result.unstored.filter((feed) => !feed.fetchedSince);
    const waitingColumns = waiting.reduce((sum, feed) => sum + feed.columns, 0);
    const describe = (feeds: RunResult['unstored']) =>
      feeds
        .slice(0, 5)
        .map((feed) => `${feedId(feed.feed)} (${feed.columns}; requests ${feed.requests})`)
        .join(', ');
    checks.push([
      lost.length === 0 && stories.stories + waitingColumns === result.fleet.servedArticles,
      `${name}: every column served is stored once (${fmt(stories.stories)} stories, ${fmt(result.fleet.servedArticles)} distinct served${
        waiting.length > 0
          ? `; ${waitingColumns} not yet, in ${waiting.length} feeds whose save was cut off and whose every fetch since failed, their backoff still running: ${describe(waiting)}`
          : ''
      }${lost.length > 0 ? `; LOST after a later fetch succeeded: ${describe(lost)}` : ''})`,
    ]);
    checks.push([
      result.problems.length === 0,
      `${name}: no process crashed or failed to stop${result.problems.length ? `: ${result.problems.join('; ')}` : ''}`,
    ]);
    if (plan.kills > 0) {
      const recoveries = analysis.recoveries;
      const cases = recoveries.reduce((sum, kill) => sum + kill.cases, 0);
      const lostFeeds = recoveries.flatMap((kill) => kill.lost);
      const lost = lostFeeds.length;
      const times = recoveries.map((kill, index) => {
        const at = `at ${fmt((result.kills[index]!.atMs - result.startMs) / 1000)} s`;
        if (kill.cases === 0) return `${at}: none cut off`;
        const slowest = kill.recoveryMs === null ? 'none refetched' : `all refetched within ${fmt(kill.recoveryMs / 1000, 1)} s`;
        return `${at}: ${kill.cases} cut off, ${slowest}${kill.lost.length ? `, ${kill.lost.length} not` : ''}`;
      });
      checks.push([
        result.kills.length >= Math.min(5, plan.kills),
        `${name}: ${result.kills.length} workers killed with SIGKILL and restarted`,
      ]);
      checks.push([
        lost === 0 && result.overdue.overdue === 0,
        `${name}: 0 lost feeds (${cases} fetches cut off by the kills, ${lost} never completed after; ${result.overdue.overdue} feeds overdue at the end${lost ? `; never refetched: feeds ${lostFeeds.join(', ')}` : ''}); per kill: ${times.join('; ')}`,
      ]);
    }
    if (plan.restarts > 0) {
      const seconds = (from: number, to: number | null) => (to === null ? 'never' : `${fmt((to - from) / 1000, 1)} s`);
      const each = result.restarts.map((restart) => {
        const lags =
          restart.lagsMs.length === 0
            ? 'none due'
            : `${restart.lagsMs.length} due, lag p99 ${num(percentile(restart.lagsMs, 99) / 1000, 1)} s, max ${num(Math.max(...restart.lagsMs) / 1000, 1)} s`;
        return `at ${fmt((restart.startMs - result.startMs) / 1000)} s: down and up again in ${seconds(restart.startMs, restart.endMs)}, a fetch begun after it seen committed after ${seconds(restart.endMs, restart.firstCommitSeenMs)}; feeds due from its start to ${RESTART_WINDOW_MS / 1000} s after: ${lags}`;
      });
      checks.push([
        result.restarts.length === plan.restarts && result.restarts.every((restart) => restart.firstCommitSeenMs !== null),
        `${name}: ${result.restarts.length} of ${plan.restarts} PostgreSQL restarts (pg_ctl restart -m fast), the workers back at work after each: ${each.join('; ')}`,
      ]);
      checks.push([
        result.overdue.overdue === 0 && result.overdue.neverFetched === 0,
        `${name}: 0 lost feeds across the restarts (${result.overdue.overdue} overdue by > ${OVERDUE_MS / 1000} s at the end, ${result.overdue.neverFetched} never fetched)`,
      ]);
    }
    if (plan.schedulers > 1 && result.ticks) {
      const { claimed, expected, duplicates } = result.ticks;
      checks.push([
        duplicates === 0 && claimed === expected,
        `${name}: ${plan.schedulers} schedulers, exactly one poll planner per tick (${claimed} ticks claimed of ${expected} in the span, ${duplicates} twice)`,
      ]);
    }
  }
  console.log('\nscale checks:');
  for (const [ok, text] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${text}`);

  console.log('\nscale targets (reported, not checked):');
  const steadyOf = (name: string) => {
    const result = results.find((candidate) => candidate.plan.name === name);
    return result ? { result, steady: phases(result, feeds).steady } : null;
  };
  for (const result of results.filter((candidate) => candidate.plan.mode === 'postgres')) {
    const p99 = percentile(result.analysis.lagsMs, 99) / 1000;
    console.log(`${p99 <= 60 ? 'MET ' : 'MISS'} ${result.plan.name}: due→fetch lag p99 ≤ 60 s (${num(p99, 1)} s)`);
    console.log(
      `${result.peakRssMb.worker < 300 ? 'MET ' : 'MISS'} ${result.plan.name}: peak RSS per worker < 300 MB (${num(result.peakRssMb.worker)} MB)`,
    );
  }
  const two = steadyOf('pg-2w');
  const four = steadyOf('pg-4w');
  if (two?.steady && four?.steady) {
    const cost = (phase: Phase) => perK(phase, phase.columnwireCpuMs + phase.postgresCpuMs);
    const ratio = cost(four.steady) / cost(two.steady);
    console.log(
      `${ratio <= 1.1 ? 'MET ' : 'MISS'} no loss from 2 → 4 workers on ${availableParallelism()} cores: CPU per 1,000 fetches 4w/2w = ${fmt(ratio, 2)} (steady state, cw+pg)`,
    );
  }
  if (!results.some((result) => result.plan.restarts > 0)) console.log('not measured: PostgreSQL restarted mid-run (the pg-restart run)');
  return checks.every(([ok]) => ok);
}
