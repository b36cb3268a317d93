/**
 * Prints the site bench: one table of every scenario against the raw floor (req/s and latency
 * under load, medians over rounds; searches one at a time too), the render times after start
 * and after a store change, the searches themselves, checks, and the targets with
 * PASS/FAIL. Pure formatting; returns whether every target passed.
 */
import { fmt, formatColumns, median } from './measure.ts';
import { medianOf, type BackendResult, type ScenarioRun, type SiteOptions, type SiteScenario } from './site-backend.ts';
import { percentile, type Samples } from './site-probe.ts';

/** Pages must serve within this factor of the floor's req/s (issue 13). */
const PAGE_RATIO_TARGET = 2;
/** Search p95, ms (issue 13). */
const SEARCH_P95_TARGET_MS = 50;

interface Summary {
  requests: number;
  reqPerS: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  cpuUs: number;
  serverCpuPct: number;
  loadCpuPct: number;
}

function summarize(runs: readonly ScenarioRun[]): Summary {
  const of = (pick: (run: ScenarioRun) => number) => median(runs.map(pick));
  return {
    requests: runs.reduce((sum, run) => sum + run.load.requests, 0),
    reqPerS: of((run) => run.load.reqPerS),
    p50Ms: of((run) => run.load.p50Ms),
    p95Ms: of((run) => run.load.p95Ms),
    p99Ms: of((run) => run.load.p99Ms),
    cpuUs: of((run) => run.cpuUsPerRequest),
    serverCpuPct: of((run) => run.serverCpuPct),
    loadCpuPct: of((run) => run.loadCpuPct),
  };
}

const ms = (value: number): string => (Number.isNaN(value) ? '–' : fmt(value, value < 10 ? 2 : 1));
const x = (value: number): string => `${value.toFixed(2)}x`;

interface Judged {
  scenario: SiteScenario;
  ours: Summary;
  raw: Summary;
}

function judge(result: BackendResult): Judged[] {
  return result.scenarios.map((scenario) => {
    const of = (which: 'ours' | 'raw') => summarize(result.runs.filter((run) => run.scenario === scenario && run.which === which));
    return { scenario, ours: of('ours'), raw: of('raw') };
  });
}

/** Prints the report for the SQLite run and, when it ran, the PostgreSQL one; true when every target passed. */
export function printSiteReport(options: SiteOptions, results: readonly BackendResult[]): boolean {
  const { rounds, seconds, connections } = options;
  const body: string[][] = [];
  const judged = new Map(results.map((result) => [result, judge(result)]));
  for (const result of results) {
    for (const { scenario, ours, raw } of judged.get(result)!) {
      const kb = median(scenario.targets.map((target) => result.pageKb.get(target) ?? 0));
      for (const [name, s] of [
        ['columnwire', ours],
        ['raw floor', raw],
      ] as const) {
        body.push([
          `${result.backend}: ${name}, ${scenario.name}`,
          `${scenario.built}, ${connections} conns, ${rounds} × ${seconds} s, ${fmt(s.requests)} req, ${fmt(kb, 1)} KB`,
          fmt(s.reqPerS),
          ms(s.p50Ms),
          ms(s.p95Ms),
          ms(s.p99Ms),
          name === 'columnwire' ? x(raw.reqPerS / ours.reqPerS) : '',
          fmt(s.cpuUs),
          fmt(s.serverCpuPct),
          fmt(s.loadCpuPct),
        ]);
      }
    }
    for (const [what, sequential] of [
      ['', result.sequential],
      [', distinct', result.sequentialDistinct],
    ] as const) {
      for (const [name, samples] of [
        ['columnwire', sequential.ours],
        ['raw floor', sequential.raw],
      ] as const) {
        const mean = meanOf(samples);
        body.push([
          `${result.backend}: ${name}, /search one at a time${what}`,
          `per request, 1 conn, ${fmt(samples.all.length)} req rotating ${samples.byTarget.size} queries`,
          fmt(1000 / mean),
          ms(percentile(samples.all, 0.5)),
          ms(percentile(samples.all, 0.95)),
          ms(percentile(samples.all, 0.99)),
          name === 'columnwire' ? x(mean / meanOf(sequential.raw)) : '',
          '',
          '',
          '',
        ]);
      }
    }
  }
  console.log(
    formatColumns(
      ['what ran', 'how', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'ours/floor', 'server CPU µs/req', 'server CPU %', 'autocannon CPU %'],
      body,
      2,
    ),
  );
  console.log(
    `\nreq/s and latencies: medians over the rounds (order ours/floor alternates by round), latency from every response's own time; ours/floor = floor req/s ÷ ours (time per request, 1.00x = as fast as the floor); Accept-Encoding "${options.headers['accept-encoding'] ?? ''}", so "per request" pages are also compressed per request; KB = the response body as sent. Server CPU = the child's user+system time; autocannon CPU near 100% means the load generator, not the server, set the pace.`,
  );
  for (const result of results) {
    console.log(`  ${result.backend}: server child peak RSS ${fmt(result.peakRssMb)} MB`);
  }

  for (const result of results.filter((entry) => entry.renders.length > 0)) {
    const rows = result.renders.map((render) => [
      render.name,
      ms(render.afterStartMs),
      `${ms(medianOf(render.afterChangeMs))} (${ms(Math.min(...render.afterChangeMs))}–${ms(Math.max(...render.afterChangeMs))})`,
      ms(medianOf(render.keptMs)),
    ]);
    console.log(
      `\n${result.backend}: page render time, one request at a time (wall time to the last byte; "after a change": one new story saved through the store, then the server's version recheck waited out; median of ${options.coldReps}, min–max):`,
    );
    console.log(formatColumns(['page', 'first after start ms', 'first after a change ms', 'kept page ms'], rows, 1));
  }

  for (const result of results) {
    console.log(`\n${result.backend}: the searches (one at a time, ${fmt(result.sequential.ours.all.length)} requests over all):`);
    const rows = result.searches.map((search) => {
      const times = result.sequential.ours.byTarget.get(search.target) ?? [];
      return [
        search.query,
        search.storiesWith === undefined
          ? '–'
          : `${fmt(search.storiesWith)} (${fmt((search.storiesWith / result.seed.stories) * 100, 1)}%)`,
        `${search.shown}${search.more ? ' + more' : ''}`,
        ms(percentile(times, 0.5)),
        ms(percentile(times, 0.95)),
        ms(Math.max(...times)),
      ];
    });
    console.log(formatColumns(['query', 'stories matching (seed count)', 'results on page 1', 'p50 ms', 'p95 ms', 'max ms'], rows, 1));
  }

  console.log('\nchecks:');
  for (const result of results) for (const [ok, text] of result.checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${result.backend}: ${text}`);

  const targets: Array<[boolean, string]> = [];
  for (const result of results) {
    for (const { scenario, ours, raw } of judged.get(result)!) {
      if (scenario.name.startsWith('/search')) continue;
      const ratio = raw.reqPerS / ours.reqPerS;
      targets.push([
        ratio <= PAGE_RATIO_TARGET,
        `${result.backend}: ${scenario.name} within ${PAGE_RATIO_TARGET}x of the floor's req/s: ${fmt(ours.reqPerS)} vs ${fmt(raw.reqPerS)} (${x(ratio)})${capped(ours, raw)}`,
      ]);
    }
    for (const [what, sequential] of [
      [`the same ${result.searches.length} again`, result.sequential],
      ['every query new', result.sequentialDistinct],
    ] as const) {
      const p95 = percentile(sequential.ours.all, 0.95);
      targets.push([
        p95 < SEARCH_P95_TARGET_MS,
        `${result.backend}: search p95 under ${SEARCH_P95_TARGET_MS} ms, one at a time, ${what}: ${ms(p95)} ms over ${fmt(result.seed.stories)} stories`,
      ]);
    }
    for (const { scenario, ours, raw } of judged.get(result)!.filter((entry) => entry.scenario.name.startsWith('/search')))
      targets.push([
        ours.p95Ms < SEARCH_P95_TARGET_MS,
        `${result.backend}: search p95 under ${SEARCH_P95_TARGET_MS} ms, ${connections} connections, ${scenario.name.replace('/search, ', '')}: ${ms(ours.p95Ms)} ms (${fmt(ours.reqPerS)} req/s; floor ${fmt(raw.reqPerS)} req/s, ${x(raw.reqPerS / ours.reqPerS)})`,
      ]);
  }
  console.log('\ntargets (issue 13):');
  for (const [ok, text] of targets) console.log(`  ${ok ? 'PASS' : 'FAIL'} ${text}`);
  return targets.every(([ok]) => ok);
}

function meanOf(samples: Samples): number {
  return samples.all.reduce((sum, value) => sum + value, 0) / samples.all.length;
}

/** A note when the load generator, not the server, set a pace. */
function capped(ours: Summary, raw: Summary): string {
  if (raw.loadCpuPct >= 90 && ours.loadCpuPct < 90)
    return `; the floor is capped by autocannon (${fmt(raw.loadCpuPct)}% CPU), so the true ratio is at least this`;
  if (raw.loadCpuPct >= 90 && ours.loadCpuPct >= 90) return '; both capped by autocannon: compare server CPU per request';
  return '';
}
