/**
 * Prints the serving benchmark: the load table (ours and the raw floor per scenario, medians
 * over rounds), the rebuild table, ours/raw ratios, checks, and the targets with
 * PASS/FAIL. Pure formatting: every figure comes in measured.
 */
import { fmt, median } from './measure.ts';
import type { LoadResult } from './serve-load.ts';
import type { RebuildReport, Timing } from './serve-rebuild.ts';

/** One kind of request the load generator repeats. */
export interface Scenario {
  name: string;
  headers: Record<string, string>;
  status: number;
}

/** One measured load run against one server. */
export interface Measured {
  scenario: Scenario;
  which: 'ours' | 'raw';
  round: number;
  load: LoadResult;
  /** Server child CPU (user + system) over the run, per completed request. */
  cpuUsPerRequest: number;
  /** Share of one core the server child used over the run. */
  serverCpuPct: number;
  /** Share of one core this process (autocannon) used over the run: near 100% means the load generator is the limit. */
  loadCpuPct: number;
  /** The server child's maxrss after the run. */
  maxRssMb: number;
}

export interface ServeReport {
  scenarios: Scenario[];
  measured: Measured[];
  rebuild: RebuildReport;
  noRebuilds: { builds: number; served: number; sameEtag: boolean; sameSize: boolean; sizes: string };
  checks: Array<[boolean, string]>;
  connections: number;
  seconds: number;
  rounds: number;
  bodyKb: { gzip: number; br: number };
}

/** Medians over a scenario's rounds for one server. */
interface Summary {
  requests: number;
  reqPerS: number;
  reqPerSRange: [number, number];
  p50Ms: number;
  p99Ms: number;
  mbPerS: number;
  cpuUs: number;
  serverCpuPct: number;
  loadCpuPct: number;
  maxRssMb: number;
}

function summarize(runs: readonly Measured[]): Summary {
  const rates = runs.map((run) => run.load.reqPerS);
  return {
    requests: runs.reduce((sum, run) => sum + run.load.requests, 0),
    reqPerS: median(rates),
    reqPerSRange: [Math.min(...rates), Math.max(...rates)],
    p50Ms: median(runs.map((run) => run.load.p50Ms)),
    p99Ms: median(runs.map((run) => run.load.p99Ms)),
    mbPerS: median(runs.map((run) => run.load.mbPerS)),
    cpuUs: median(runs.map((run) => run.cpuUsPerRequest)),
    serverCpuPct: median(runs.map((run) => run.serverCpuPct)),
    loadCpuPct: median(runs.map((run) => run.loadCpuPct)),
    maxRssMb: Math.max(...runs.map((run) => run.maxRssMb)),
  };
}

/** Aligned text table: the first two columns left, the rest right. */
function table(header: string[], body: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((line) => line[column]!.length)));
  const line = (cells: string[]) =>
    cells.map((text, column) => (column < 2 ? text.padEnd(widths[column]!) : text.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)].join('\n');
}

const x = (value: number): string => `${value.toFixed(2)}x`;
const ms = (value: number): string => fmt(value, value < 10 ? 2 : 1);
const span = (timing: Timing): string => `${ms(timing.minMs)}–${ms(timing.maxMs)}`;

/** Prints everything; returns nothing, sets nothing. */
export function printServeReport(report: ServeReport): void {
  const { scenarios, measured, rebuild, noRebuilds, connections, seconds, rounds } = report;
  const summaries = scenarios.map((scenario) => {
    const of = (which: 'ours' | 'raw') => summarize(measured.filter((run) => run.scenario === scenario && run.which === which));
    return { scenario, ours: of('ours'), raw: of('raw') };
  });

  const loadRows = summaries.flatMap(({ scenario, ours, raw }) =>
    (
      [
        ['columnwire', ours],
        ['raw floor', raw],
      ] as const
    ).map(([name, s]) => [
      `${name}, ${scenario.name}`,
      `${connections} conns, ${rounds} × ${seconds} s, ${fmt(s.requests)} req`,
      fmt(s.reqPerS),
      fmt(s.p50Ms, 2),
      fmt(s.p99Ms, 2),
      fmt(s.mbPerS, 1),
      fmt(s.cpuUs, 1),
      fmt(s.serverCpuPct),
      fmt(s.loadCpuPct),
      fmt(s.maxRssMb),
    ]),
  );
  console.log(
    table(
      [
        'what ran',
        'how much',
        'req/s',
        'p50 ms',
        'p99 ms',
        'MB/s',
        'server CPU µs/req',
        'server CPU %',
        'autocannon CPU %',
        'server peak RSS MB',
      ],
      loadRows,
    ),
  );
  console.log(
    `\nreq/s, p50, p99, MB/s and CPU: medians over the ${rounds} rounds; latency from every response's own time (sub-ms); MB/s counts status line, headers and body (gzip body ${fmt(report.bodyKb.gzip, 1)} KB, br ${fmt(report.bodyKb.br, 1)} KB); server CPU is the child's user+system time over the run (per request, and as % of one core); autocannon CPU % is this process's (near 100% = the load generator, not the server, is the limit); peak RSS is the server child's maxrss.`,
  );

  const { perFormat } = rebuild;
  const rebuildRows: string[][] = [
    ['lookup of a built /feed.xml (what a request costs PublishedFeeds)', '2,000 lookups', `${fmt(rebuild.cachedLookupUs, 1)} µs`, '–'],
    ['first /feed.xml lookup after a change (rebuild, RSS)', '1 story changed', ms(rebuild.firstLookupAfterChangeMs), '–'],
    ['one scope (a feed), 3 formats, 50 stories, not sanitized before', 'once', ms(rebuild.coldScopeMs), '–'],
    [
      'one scope (all), 3 formats, 50 stories, after a change',
      `median of ${rebuild.scope.reps}`,
      ms(rebuild.scope.medianMs),
      span(rebuild.scope),
    ],
    ...(['rss', 'atom', 'json'] as const).map((format) => [
      `  of which ${format}`,
      `median of ${perFormat[format].reps}`,
      ms(perFormat[format].medianMs),
      span(perFormat[format]),
    ]),
    [`every document, first build (sanitize cache cold)`, `${rebuild.documents} documents`, ms(rebuild.coldAllMs), '–'],
    [`every document, after a change`, `median of ${rebuild.all.reps}`, ms(rebuild.all.medianMs), span(rebuild.all)],
    [
      '  then gzip of every document (first gzip requests)',
      `${fmt(rebuild.identityBytes / 1024 / 1024, 1)} MB`,
      ms(rebuild.gzipAllMs),
      '–',
    ],
    [
      `  then br of the site-wide and tag documents (first br requests)`,
      `${rebuild.brSampleDocuments} documents`,
      ms(rebuild.brSampleMs),
      '–',
    ],
    [
      `  br of every document, estimated (${fmt(rebuild.brSampleMs / rebuild.brSampleDocuments, 1)} ms each)`,
      `${rebuild.documents} documents`,
      `≈ ${fmt((rebuild.brSampleMs / rebuild.brSampleDocuments) * rebuild.documents)}`,
      '–',
    ],
    ["  gzip / br of one scope's 3 formats", '3 documents', `${ms(rebuild.gzipScopeMs)} / ${ms(rebuild.brScopeMs)}`, '–'],
  ];
  console.log(
    `\nrebuild after a poll (bench process, 10,000-story store; each timed rebuild follows its own change: one new story saved through the store; scopes: 1 all + ${rebuild.scopes.tags} tags + ${rebuild.scopes.feeds} feeds, × 3 formats at limit 50, + home page + OPML):`,
  );
  console.log(table(['what ran', 'how much', 'ms', 'min–max ms'], rebuildRows));

  console.log('\nchecks:');
  for (const [ok, text] of report.checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);

  console.log('\nratios, columnwire / raw floor (1.00x = as fast as the floor, higher = slower):');
  for (const { scenario, ours, raw } of summaries) {
    const range = (s: Summary) => `${fmt(s.reqPerSRange[0])}–${fmt(s.reqPerSRange[1])}`;
    console.log(
      `  ${scenario.name.padEnd(20)} time/request ${x(raw.reqPerS / ours.reqPerS)}  p50 ${x(ours.p50Ms / raw.p50Ms)}  p99 ${x(ours.p99Ms / raw.p99Ms)}  server CPU/request ${x(ours.cpuUs / raw.cpuUs)}  (req/s ours ${range(ours)}, raw ${range(raw)})`,
    );
  }

  const within = (s: { ours: Summary; raw: Summary }) => ({ time: s.raw.reqPerS / s.ours.reqPerS, p99: s.ours.p99Ms / s.raw.p99Ms });
  const targets: Array<[boolean, string]> = summaries.map((s) => {
    const { time, p99 } = within(s);
    const bound = limitNote(s.ours, s.raw);
    return [
      time <= 1.5 && p99 <= 1.5,
      `${s.scenario.name} within 1.5x of the raw floor: ${fmt(s.ours.reqPerS)} vs ${fmt(s.raw.reqPerS)} req/s (${x(time)}), p99 ${fmt(s.ours.p99Ms, 2)} vs ${fmt(s.raw.p99Ms, 2)} ms (${x(p99)}); server CPU per request ${fmt(s.ours.cpuUs, 1)} vs ${fmt(s.raw.cpuUs, 1)} µs (${x(s.ours.cpuUs / s.raw.cpuUs)})${bound}`,
    ];
  });
  const { builds, served, sameEtag, sameSize } = noRebuilds;
  targets.push([
    builds === 0 && sameEtag && sameSize,
    `feeds never rebuilt per request: ${builds} documents built while ours served ${fmt(served)} requests (store.listStories calls); ETag and gzip bytes ${sameEtag ? 'identical' : 'CHANGED'} before and after; every response the same size per scenario: ${sameSize ? 'yes' : 'NO'} (${noRebuilds.sizes} bytes); a cached lookup costs ${fmt(rebuild.cachedLookupUs, 1)} µs vs ${ms(rebuild.firstLookupAfterChangeMs)} ms for a rebuild`,
  ]);
  targets.push([
    rebuild.scope.medianMs < 20,
    `rebuild of all 3 formats for 50 stories under 20 ms: median ${ms(rebuild.scope.medianMs)} ms (${span(rebuild.scope)}; with all 50 stories sanitized afresh ${ms(rebuild.coldScopeMs)} ms)`,
  ]);
  console.log('\ntargets (from the issue):');
  for (const [ok, text] of targets) console.log(`  ${ok ? 'PASS' : 'FAIL'} ${text}`);
  console.log(
    `  info: every published document (${rebuild.documents}) rebuilt after a poll: median ${ms(rebuild.all.medianMs)} ms, first build ${ms(rebuild.coldAllMs)} ms`,
  );
}

/**
 * Which side each server's req/s was limited by. A run whose autocannon used a whole core
 * measured the load generator, not the server; CPU per request still compares the servers.
 */
function limitNote(ours: Summary, raw: Summary): string {
  const capped = (s: Summary) => s.loadCpuPct >= 90;
  const busy = (s: Summary) => `autocannon ${fmt(s.loadCpuPct)}% CPU, server ${fmt(s.serverCpuPct)}%`;
  if (capped(ours) && capped(raw))
    return `; both capped by the load generator (ours: ${busy(ours)}; raw: ${busy(raw)}), so req/s compares autocannon, CPU per request compares the servers`;
  if (capped(raw))
    return `; the raw floor is capped by the load generator (${busy(raw)}), ours is not (${busy(ours)}), so the true ratio is at least this`;
  if (capped(ours)) return `; ours is capped by the load generator (${busy(ours)}), the raw floor is not (${busy(raw)})`;
  return '';
}
