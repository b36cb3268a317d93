/**
 * The serving benchmark (`npm run bench -- serve`): 10,000 stories stored through the real
 * store; columnwire's HTTP server in one child process and the raw floor (a bare node:http
 * server replaying the exact bytes ours sent) in another; autocannon here, on 127.0.0.1,
 * against each in turn for /feed.xml 200 (gzip, br) and 304 (If-None-Match); then rebuild
 * timings after a store change. Prints the tables, ours/raw ratios, checks and the targets.
 *
 * Knobs (env): BENCH_SERVE_SECONDS per measured run (default 4), BENCH_SERVE_ROUNDS (default
 * 3; the order ours/raw alternates by round), BENCH_SERVE_CONNECTIONS (default 10),
 * BENCH_SERVE_CPU_PROF=DIR writes --cpu-prof profiles of both server children into DIR (named
 * by pid, printed at start), BENCH_SERVE_VERBOSE=1 prints every measured run as it ends.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createApp, type App } from '../src/app.ts';
import { parseConfig } from '../src/config/load.ts';
import { createLogger } from '../src/logger.ts';
import { fmt, toMb } from './measure.ts';
import { startChild, type Child, type ChildStats } from './serve-child.ts';
import { captureResponse, runLoad, type LoadResult } from './serve-load.ts';
import { printServeReport, type Measured, type Scenario } from './serve-report.ts';
import { measureRebuilds } from './serve-rebuild.ts';
import { SERVE_SPEC, seedStore, serveConfigYaml } from './serve-seed.ts';

const envNumber = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bench: ${name} must be a positive number, got "${process.env[name]}"`);
  return value;
};

/** Runs the serving benchmark; cleans up its children and data dir on return, error, SIGINT or exit. */
export async function runServeBench(): Promise<void> {
  const seconds = envNumber('BENCH_SERVE_SECONDS', 4);
  const rounds = Math.round(envNumber('BENCH_SERVE_ROUNDS', 3));
  const connections = Math.round(envNumber('BENCH_SERVE_CONNECTIONS', 10));
  const verbose = process.env.BENCH_SERVE_VERBOSE === '1';
  const profileDir = process.env.BENCH_SERVE_CPU_PROF ? resolve(process.env.BENCH_SERVE_CPU_PROF) : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'columnwire-serve-bench-'));
  const children: Child[] = [];
  let app: App | undefined;
  const removeDataDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  // Children are killed by their own 'exit' hooks (serve-child.ts); the data dir goes here.
  process.once('exit', removeDataDir);
  const interrupted = (signal: NodeJS.Signals): void => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    console.log(`\ncolumnwire serve bench: Node ${process.version}, ${availableParallelism()} CPUs; data dir ${dataDir}`);
    const configPath = join(dataDir, 'feeds.yaml');
    writeFileSync(configPath, serveConfigYaml());
    const config = parseConfig(serveConfigYaml(), configPath);
    app = await createApp({ config, dataDir, logger: createLogger({ level: 'warn' }) });
    const seedStarted = performance.now();
    const seed = await seedStore(app, new Date());
    const seedMs = performance.now() - seedStarted;
    const checks: Array<[boolean, string]> = [];
    const check = (ok: boolean, text: string): void => void checks.push([ok, text]);
    const expectedStories = SERVE_SPEC.feeds * SERVE_SPEC.ownPerFeed;
    check(
      seed.stories === expectedStories,
      `seed: ${fmt(seed.stories)} stories stored from ${fmt(seed.items)} items (${fmt(SERVE_SPEC.syndicatedPerFeed * SERVE_SPEC.feeds)} syndicated copies merged); expected ${fmt(expectedStories)}`,
    );
    console.log(
      `seed: ${config.feeds.length} feeds, ${(await app.publishedFeeds()).tags.length} tags, ${fmt(seed.items)} items → ${fmt(seed.stories)} stories in ${fmt(seedMs)} ms; summaries ${fmt(seed.summaryBytes / seed.items)} bytes on average, 1 in ${SERVE_SPEC.contentEvery} with content`,
    );

    const profileFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const ours = await startChild('./serve-ours.ts', { args: [dataDir], nodeFlags: profileFlags });
    children.push(ours);
    const feedUrl = `${ours.url}/feed.xml`;
    const gzip = await captureResponse(feedUrl, { 'accept-encoding': 'gzip' });
    const br = await captureResponse(feedUrl, { 'accept-encoding': 'gzip, deflate, br' });
    const etag = String(gzip.headers.etag);
    const notModified = await captureResponse(feedUrl, { 'accept-encoding': 'gzip', 'if-none-match': etag });
    const identity = gzip.status === 200 ? gunzipSync(gzip.body) : Buffer.alloc(0);
    check(
      gzip.status === 200 && gzip.headers['content-encoding'] === 'gzip',
      `ours: /feed.xml with gzip answered ${gzip.status}, content-encoding ${String(gzip.headers['content-encoding'])}`,
    );
    check(
      br.status === 200 && br.headers['content-encoding'] === 'br' && brotliDecompressSync(br.body).equals(identity),
      `ours: /feed.xml with br answered ${br.status}, content-encoding ${String(br.headers['content-encoding'])}, same document as the gzip one`,
    );
    check(notModified.status === 304, `ours: /feed.xml with If-None-Match ${etag} answered ${notModified.status}`);
    const items = (identity.toString('utf8').match(/<item>/g) ?? []).length;
    console.log(
      `/feed.xml: ${fmt(items)} items, ${fmt(identity.length / 1024, 1)} KB, gzip ${fmt(gzip.body.length / 1024, 1)} KB, br ${fmt(br.body.length / 1024, 1)} KB; ETag ${etag}`,
    );

    const raw = await startChild('./serve-raw.ts', {
      nodeFlags: profileFlags,
      init: { type: 'serve', responses: { gzip, br, notModified, etags: [etag, String(br.headers.etag)] } },
    });
    children.push(raw);
    const rawGzip = await captureResponse(`${raw.url}/feed.xml`, { 'accept-encoding': 'gzip' });
    check(rawGzip.body.equals(gzip.body) && rawGzip.headers.etag === etag, 'raw floor: replays the same gzip bytes and ETag as ours');
    console.log(
      `servers: ours pid ${ours.pid} ${ours.url}, raw floor pid ${raw.pid} ${raw.url}; autocannon here, ${connections} connections, pipelining 1, ${seconds} s per run, ${rounds} rounds per server (order alternates), 1 s warm-up each${profileDir ? `; CPU profiles of both → ${profileDir} (CPU.*.<pid>.*.cpuprofile)` : ''}\n`,
    );

    const buildsBefore = (await ours.request<ChildStats & { builds: number }>({ type: 'stats' })).builds;
    const scenarios: Scenario[] = [
      { name: '/feed.xml 200 gzip', headers: { 'accept-encoding': 'gzip' }, status: 200 },
      { name: '/feed.xml 200 br', headers: { 'accept-encoding': 'gzip, deflate, br' }, status: 200 },
      { name: '/feed.xml 304', headers: { 'accept-encoding': 'gzip', 'if-none-match': etag }, status: 304 },
    ];
    const servers = { ours, raw };
    const measured: Measured[] = [];
    for (const scenario of scenarios) {
      for (const server of [ours, raw]) await runLoad(`${server.url}/feed.xml`, { connections, seconds: 1, headers: scenario.headers });
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? (['ours', 'raw'] as const) : (['raw', 'ours'] as const);
        for (const which of order) {
          const server = servers[which];
          const before = await server.stats();
          const ownBefore = process.cpuUsage();
          const load = await runLoad(`${server.url}/feed.xml`, { connections, seconds, headers: scenario.headers });
          const own = process.cpuUsage(ownBefore);
          const after = await server.stats();
          const run: Measured = {
            scenario,
            which,
            round,
            load,
            cpuUsPerRequest: (after.cpuUs - before.cpuUs) / Math.max(1, load.requests),
            serverCpuPct: ((after.cpuUs - before.cpuUs) / (load.seconds * 1e6)) * 100,
            loadCpuPct: ((own.user + own.system) / (load.seconds * 1e6)) * 100,
            maxRssMb: after.maxRssMb,
          };
          measured.push(run);
          if (verbose)
            console.log(
              `  ${scenario.name}, round ${round + 1}, ${which}: ${fmt(load.reqPerS)} req/s, p50 ${fmt(load.p50Ms, 2)} ms, p99 ${fmt(load.p99Ms, 2)} ms, server CPU ${fmt(run.cpuUsPerRequest, 1)} µs/req (${fmt(run.serverCpuPct)}% busy), load generator ${fmt(run.loadCpuPct)}% busy`,
            );
        }
      }
    }
    const buildsAfter = (await ours.request<ChildStats & { builds: number }>({ type: 'stats' })).builds;
    const gzipAfter = await captureResponse(feedUrl, { 'accept-encoding': 'gzip' });
    for (const scenario of scenarios) {
      for (const which of ['ours', 'raw'] as const)
        checkLoad(
          check,
          scenario,
          which,
          measured.filter((run) => run.scenario === scenario && run.which === which).map((run) => run.load),
        );
    }
    const oursSizes = scenarios.map((scenario) => {
      const runs = measured.filter((run) => run.scenario === scenario && run.which === 'ours').map((run) => run.load);
      return `${scenario.name} ${fmt(Math.min(...runs.map((run) => run.minBytes)))}–${fmt(Math.max(...runs.map((run) => run.maxBytes)))}`;
    });
    const sameSize = measured.filter((run) => run.which === 'ours').every((run) => run.load.minBytes === run.load.maxBytes);
    await Promise.all(children.map((child) => child.close()));

    const rebuild = await measureRebuilds(app, 3);
    const served = measured.filter((run) => run.which === 'ours').reduce((sum, run) => sum + run.load.requests, 0);
    const noRebuilds = {
      builds: buildsAfter - buildsBefore,
      served,
      sameEtag: gzipAfter.headers.etag === etag && gzipAfter.body.equals(gzip.body),
      sameSize,
      sizes: oursSizes.join('; '),
    };
    printServeReport({
      scenarios,
      measured,
      rebuild,
      noRebuilds,
      checks,
      connections,
      seconds,
      rounds,
      bodyKb: { gzip: toMb(gzip.body.length) * 1024, br: toMb(br.body.length) * 1024 },
    });
    if (checks.some(([ok]) => !ok)) process.exitCode = 1;
  } finally {
    await Promise.allSettled(children.map((child) => child.close(2_000)));
    await app?.close();
    removeDataDir();
    process.off('exit', removeDataDir).off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
}

/** Every response of every round had the scenario's status, and nothing failed. */
function checkLoad(check: (ok: boolean, text: string) => void, scenario: Scenario, which: string, loads: LoadResult[]): void {
  const total = loads.reduce((sum, load) => sum + load.requests, 0);
  const expected = loads.reduce((sum, load) => sum + (load.statuses.get(scenario.status) ?? 0), 0);
  const errors = loads.reduce((sum, load) => sum + load.errors, 0);
  const timeouts = loads.reduce((sum, load) => sum + load.timeouts, 0);
  const others = new Map<number, number>();
  for (const load of loads)
    for (const [status, n] of load.statuses) if (status !== scenario.status) others.set(status, (others.get(status) ?? 0) + n);
  const also = [...others].map(([status, n]) => `${fmt(n)} × ${status}`).join(', ');
  check(
    total > 0 && expected === total && errors === 0 && timeouts === 0,
    `${which} ${scenario.name}: ${fmt(expected)}/${fmt(total)} answered ${scenario.status} over ${loads.length} rounds${also ? ` (also ${also})` : ''}, ${errors} errors, ${timeouts} timeouts`,
  );
}
