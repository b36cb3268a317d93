/**
 * The ingest benchmark's printout: one table of everything that ran, the checks, each pass
 * beside its floors, the whole processes, start-up, the parse ratios, and the targets
 * with PASS/FAIL (a missed target is reported, never an exit code: only failed checks are).
 */
import type { IngestResult, PassResult } from './ingest-passes.ts';
import { fmt, formatColumns, formatTable, processPeakRssMb, type Row, type Span } from './measure.ts';
import type { ParseComparison } from './parse.ts';
import type { PollProcesses } from './poll-processes.ts';
import { describeTimer } from './process-runs.ts';
import type { StartupResult } from './startup.ts';

export interface IngestReport {
  rows: readonly Row[];
  checks: ReadonlyArray<readonly [boolean, string]>;
  ingest: IngestResult;
  /** Whole-process poll passes by feed count. */
  processes: ReadonlyMap<number, PollProcesses>;
  startup: StartupResult;
  rss: ParseComparison;
  atom: ParseComparison;
}

const ratio = (ours: number, floor: number): string => `${(ours / floor).toFixed(2)}x`;
const seconds = (ms: number, digits = 2): string => fmt(ms / 1000, digits);
const pair = (span: Span | undefined): string => (span ? `${fmt(span.ms)} / ${fmt(span.cpuMs)}` : '–');
const per1k = (cpuMs: number, count: number): string => fmt(cpuMs / (count / 1000));

function passLine(name: string, pass: PassResult): string[] {
  const floors = [pass.fetch, pass.parse, pass.insert].filter((span) => span !== undefined);
  const sum = { ms: floors.reduce((total, span) => total + span.ms, 0), cpuMs: floors.reduce((total, span) => total + span.cpuMs, 0) };
  return [
    name,
    pair(pass.ours),
    pair(pass.fetch),
    pair(pass.parse),
    pair(pass.insert),
    pair(sum),
    ratio(pass.ours.ms, sum.ms),
    ratio(pass.ours.cpuMs, sum.cpuMs),
    pass.items > 0 ? `${per1k(pass.ours.cpuMs, pass.items)} (${per1k(sum.cpuMs, pass.items)})` : '–',
    `${per1k(pass.ours.cpuMs, pass.feeds)} (${per1k(sum.cpuMs, pass.feeds)})`,
  ];
}

function printFloors({ fresh, changed, notModified }: IngestResult): void {
  console.log(
    `\npasses beside their floors, in-process, ${fmt(fresh.feeds)} feeds (each cell: wall ms / CPU ms; ours once for fresh and changed, medians otherwise):`,
  );
  const header = [
    'pass',
    'ours',
    'fetch floor',
    'parse floor',
    'insert floor',
    'sum of floors',
    'ours/sum wall',
    'CPU',
    'CPU ms/1k items (floors)',
    'CPU ms/1k feeds (floors)',
  ];
  console.log(formatColumns(header, [passLine('fresh', fresh), passLine('changed', changed), passLine('all-304', notModified)]));
  console.log(
    [
      '  floors: plain fetch of the same URLs (16 at a time); bare rss-parser on the same bodies, one after another on the main thread;',
      '  bare multi-row INSERTs into fresh WAL files, one transaction per feed (50 rows fresh; the 1 new row changed, into the database',
      '  the fresh floor filled). all-304 has only the fetch floor. The floors run one after another while ours overlaps fetching with',
      '  parsing in a worker thread, so CPU is the fairer ratio on 2 shared cores.',
    ].join('\n'),
  );
}

function printProcesses(processes: ReadonlyMap<number, PollProcesses>): void {
  console.log(
    `\nwhole process: node bin/columnwire.js --config … --data … poll, a new process per pass, one data folder per feed count; timer: ${describeTimer()}:`,
  );
  const body: string[][] = [];
  for (const run of [...processes.values()].sort((a, b) => a.feeds - b.feeds)) {
    const rowFor = (name: string, wallMs: number, cpuMs: number, maxRssMb: number, items: number): string[] => [
      fmt(run.feeds),
      name,
      seconds(wallMs),
      seconds(cpuMs),
      items > 0 ? seconds(cpuMs / (items / 1000), 3) : '–',
      seconds(cpuMs / (run.feeds / 1000), 3),
      fmt(run.feeds / (wallMs / 1000)),
      fmt(maxRssMb),
    ];
    body.push(rowFor('fresh, once', run.fresh.wallMs, run.fresh.cpuMs, run.fresh.maxRssMb, run.items));
    body.push(rowFor('changed, once', run.changed.wallMs, run.changed.cpuMs, run.changed.maxRssMb, run.items));
    const { notModified } = run;
    body.push(rowFor(`all-304, median of ${notModified.runs.length}`, notModified.wallMs, notModified.cpuMs, notModified.maxRssMb, 0));
  }
  const header = ['feeds', 'pass', 'wall s', 'CPU s', 'CPU s/1k items', 'CPU s/1k feeds', 'feeds/s', 'max RSS MB'];
  console.log(formatColumns(header, body, 2));
}

function printStartup(startup: StartupResult): void {
  console.log(`\nstart-up, a new process each, median of ${startup.reps} after a warm-up (max RSS: the highest of the ${startup.reps}):`);
  const { node } = startup;
  const body = (
    [
      ['node -e 0 (floor)', node],
      ['columnwire --version', startup.version],
      ['columnwire stats', startup.stats],
      ['columnwire healthcheck --url', startup.healthcheck],
    ] as const
  ).map(([name, run]) => [
    name,
    seconds(run.wallMs, 3),
    seconds(run.cpuMs, 3),
    fmt(run.maxRssMb),
    ratio(run.wallMs, node.wallMs),
    ratio(run.cpuMs, node.cpuMs),
  ]);
  console.log(formatColumns(['command', 'wall s', 'CPU s', 'max RSS MB', 'wall / node', 'CPU / node'], body));
}

function targets(report: IngestReport): Array<[boolean, string]> {
  const { ingest, processes, startup, rss, atom } = report;
  const at1000 = processes.get(1000);
  const list: Array<[boolean, string]> = [];
  if (at1000) {
    const cpuPer1kItems = at1000.fresh.cpuMs / 1000 / (at1000.items / 1000);
    list.push([cpuPer1kItems <= 0.12, `fresh pass, whole process, CPU per 1,000 items <= 0.12 s: ${fmt(cpuPer1kItems, 3)} s`]);
    const inProcess = ingest.fresh.feeds === 1000 ? ` (in-process pollAll: ${seconds(ingest.fresh.ours.ms)} s)` : '';
    list.push([
      at1000.fresh.wallMs <= 5_000,
      `fresh pass wall, 1,000 feeds x 50, whole process <= 5 s: ${seconds(at1000.fresh.wallMs)} s${inProcess}`,
    ]);
  }
  const changedRate = ingest.changed.feeds / (ingest.changed.ours.ms / 1000);
  list.push([
    changedRate >= 600,
    `changed pass (1 new of 50), in-process pollAll, ${fmt(ingest.changed.feeds)} feeds >= 600 feeds/s: ${fmt(changedRate)} feeds/s`,
  ]);
  if (at1000) {
    const cpuPer1kFeeds = at1000.notModified.cpuMs / 1000 / (at1000.feeds / 1000);
    list.push([cpuPer1kFeeds <= 1.0, `all-304 pass, whole process, CPU per 1,000 feeds <= 1.0 s: ${fmt(cpuPer1kFeeds, 3)} s`]);
  }
  for (const [name, result] of [
    ['RSS', rss],
    ['Atom', atom],
  ] as const) {
    const measured = result.ours.medianMs / result.bare.medianMs;
    list.push([measured <= 1.05, `parse ${name}, in-process, vs bare rss-parser on the same bytes <= 1.05x: ${measured.toFixed(2)}x`]);
  }
  list.push([startup.version.wallMs <= 120, `--version <= 0.12 s (wall, median): ${seconds(startup.version.wallMs, 3)} s`]);
  list.push([startup.stats.wallMs <= 350, `stats <= 0.35 s (wall, median): ${seconds(startup.stats.wallMs, 3)} s`]);
  const { healthcheck } = startup;
  list.push([healthcheck.wallMs <= 150, `healthcheck <= 0.15 s (wall, median): ${seconds(healthcheck.wallMs, 3)} s`]);
  list.push([
    healthcheck.maxRssMb <= 60,
    `healthcheck <= 60 MB (max RSS, highest of ${healthcheck.runs.length}): ${fmt(healthcheck.maxRssMb)} MB`,
  ]);
  for (const feeds of [1000, 3000]) {
    const run = processes.get(feeds);
    if (run)
      list.push([
        run.fresh.maxRssMb <= 250,
        `peak RSS, fresh pass, whole process, ${fmt(feeds)} feeds <= 250 MB: ${fmt(run.fresh.maxRssMb)} MB`,
      ]);
  }
  return list;
}

/** Prints the whole report; returns whether every check passed. */
export function printIngestReport(report: IngestReport): boolean {
  console.log(formatTable(report.rows));
  console.log(
    [
      '',
      'ms: wall time. CPU ms: user+system CPU time. In-process rows: process.cpuUsage() of the bench process around the stage; it covers every thread of',
      'the process, so it includes the worker threads pollAll parses in (and V8 GC threads). Whole-process rows (poll process, start-up): the child',
      "process's user+system, every thread. The feed server is a separate process and never counted.",
      'peak RSS MB: in-process rows sample the bench process every 20 ms and at the end of each stage (parsing is synchronous, so those are',
      "end-of-stage readings; the floor stages hold a whole version's bodies); whole-process rows are the child's kernel maxrss.",
    ].join('\n'),
  );
  console.log('\nchecks:');
  for (const [ok, text] of report.checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
  printFloors(report.ingest);
  printProcesses(report.processes);
  printStartup(report.startup);
  const span = (a: { minMs: number; maxMs: number }) => `${fmt(a.minMs)}–${fmt(a.maxMs)} ms`;
  console.log('\nparse ratios, ours/floor (median wall time; 1.00x = as fast as the floor, higher = slower):');
  for (const [name, result] of [
    ['RSS ', report.rss],
    ['Atom', report.atom],
  ] as const) {
    console.log(
      `  parse ${name}  parseFeed / rss-parser  ${ratio(result.ours.medianMs, result.bare.medianMs)}  (ours ${span(result.ours)}, bare ${span(result.bare)})`,
    );
  }
  console.log(
    `  bench process peak RSS (kernel maxrss): ${fmt(report.ingest.peakRssMb)} MB after the in-process passes, ${fmt(processPeakRssMb())} MB over the run`,
  );
  console.log('\ntargets (issue 11 §4):');
  for (const [ok, text] of targets(report)) console.log(`  ${ok ? 'PASS' : 'FAIL'} ${text}`);
  return report.checks.every(([ok]) => ok);
}
