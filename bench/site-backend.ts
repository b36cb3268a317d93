/**
 * One backend's run of the site bench: seed the store (bench process), start columnwire's
 * server in a child (bench/serve-ours.ts), time the first requests after start and after a
 * store change, capture the exact bytes ours sends for every measured request target, start
 * the raw floor replaying them (bench/serve-raw.ts), then probe /search one request at a time
 * and load every scenario with autocannon against each server in turn.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createApp, type App } from '../src/app.ts';
import { parseConfig } from '../src/config/load.ts';
import { createLogger } from '../src/logger.ts';
import { VERSION_RECHECK_MS } from '../src/storage/content-version.ts';
import { median } from './measure.ts';
import { startChild, type Child } from './serve-child.ts';
import { captureResponse, runLoad, type LoadResult } from './serve-load.ts';
import type { CapturedResponse } from './serve-raw.ts';
import { probeAgent, sequentialSamples, timedGet, type Samples } from './site-probe.ts';
import { addFreshStory, seedSite, siteConfigYaml, type SiteSeed } from './site-seed.ts';
import { distinctSearchQueries } from './site-words.ts';

/** The searches a reader might make, rotated: common, middling and rare words, a phrase, a prefix, nothing found. */
export const SEARCH_QUERIES = ['government', 'inflation', 'lighthouse', '"housing market"', 'ab*', 'zebracorn'] as const;
/** Searches naming an outlet (eight outlets end in Observer) and a columnist: their columns are found by token (search-tokens.ts). */
const NAMED_QUERIES = ['observer', '"marina hyde"'] as const;
const ROTATING: readonly string[] = [...SEARCH_QUERIES, ...NAMED_QUERIES];

export interface SiteOptions {
  stories: number;
  seconds: number;
  rounds: number;
  connections: number;
  searchSamples: number;
  coldReps: number;
  headers: Record<string, string>;
  profileDir: string | undefined;
  verbose: boolean;
}

/** A kind of request the load repeats: one target, or several each connection cycles through. */
export interface SiteScenario {
  name: string;
  targets: string[];
  /** Kept until the store changes, or built for every request. */
  built: 'kept' | 'per request';
}

export interface ScenarioRun {
  scenario: SiteScenario;
  which: 'ours' | 'raw';
  load: LoadResult;
  cpuUsPerRequest: number;
  serverCpuPct: number;
  loadCpuPct: number;
}

/** Request times of one page: first after the server started, first after each store change, then the kept page. */
export interface RenderTimes {
  name: string;
  afterStartMs: number;
  afterChangeMs: number[];
  keptMs: number[];
}

export interface SearchProbe {
  query: string;
  target: string;
  storiesWith: number | undefined;
  /** Results on the first page, and whether a next page exists. */
  shown: number;
  more: boolean;
}

export interface BackendResult {
  backend: 'SQLite' | 'PostgreSQL';
  seed: SiteSeed;
  seedMs: number;
  columnists: number;
  renders: RenderTimes[];
  searches: SearchProbe[];
  /** One search at a time: the eight rotating (rankings kept after the first of each), and every one distinct. */
  sequential: { ours: Samples; raw: Samples };
  sequentialDistinct: { ours: Samples; raw: Samples };
  runs: ScenarioRun[];
  scenarios: SiteScenario[];
  peakRssMb: number;
  pageKb: Map<string, number>;
  checks: Array<[boolean, string]>;
}

/** Runs the bench on one backend (`database` set: PostgreSQL) and cleans up after itself. */
export async function benchBackend(options: SiteOptions, database?: string, only?: 'search'): Promise<BackendResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'columnwire-site-bench-'));
  const children: Child[] = [];
  let app: App | undefined;
  const checks: Array<[boolean, string]> = [];
  const check = (ok: boolean, text: string): void => void checks.push([ok, text]);
  try {
    const configPath = join(dataDir, 'feeds.yaml');
    writeFileSync(configPath, siteConfigYaml(database));
    app = await createApp({ config: parseConfig(siteConfigYaml(database), configPath), dataDir, logger: createLogger({ level: 'warn' }) });
    const started = performance.now();
    const seed = await seedSite(app, options.stories, new Date(), SEARCH_QUERIES);
    const seedMs = performance.now() - started;
    // What autovacuum does within a minute of a bulk load; a search plans from these statistics.
    if (database) await analyzeDatabase(database);
    check(seed.stories === options.stories, `seed: ${seed.stories} stories stored from ${seed.items} items; expected ${options.stories}`);

    const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
    const ours = await startChild('./serve-ours.ts', { args: [dataDir], nodeFlags: profile });
    children.push(ours);
    if (options.profileDir) console.log(`CPU profile of ours (pid ${ours.pid}) → ${options.profileDir}`);
    const agent = probeAgent();
    const time = async (target: string) => (await timedGet(`${ours.url}${target}`, options.headers, agent)).ms;
    const text = async (target: string) => (await captureResponse(`${ours.url}${target}`, {})).body.toString('utf8');

    const renders: RenderTimes[] = [];
    const firstHome = await time('/');
    const firstIndex = await time('/columnists');
    const index = await text('/columnists');
    const slug = /href="https:\/\/columnwire\.example\/columnists\/([^"?/]+)"/.exec(index)?.[1];
    if (!slug) throw new Error('bench: /columnists links to no columnist');
    const columnistPath = `/columnists/${slug}`;
    const firstColumnist = await time(columnistPath);
    const columnists = (index.match(/<article class="entry">/g) ?? []).length;
    const pages = [
      ['/', firstHome],
      ['/columnists', firstIndex],
      [`${columnistPath} (a columnist)`, firstColumnist],
    ] as const;
    let change = 0;
    for (const [name, afterStartMs] of pages) {
      const target = name.split(' ')[0]!;
      const times: RenderTimes = { name, afterStartMs, afterChangeMs: [], keptMs: [] };
      for (let rep = 0; rep < (only ? 0 : options.coldReps); rep++) {
        await addFreshStory(app, change++, new Date());
        await sleep(VERSION_RECHECK_MS + 50); // the server trusts a version it read for this long
        times.afterChangeMs.push(await time(target));
        times.keptMs.push(await time(target));
      }
      renders.push(times);
    }

    // A later page of the home: the "Older columns" link followed four times.
    let before = '/';
    for (let page = 1; page < 5; page++) {
      const next = /rel="next" href="https:\/\/columnwire\.example\/(\?before=[0-9.]+)"/.exec(await text(before))?.[1];
      if (!next) throw new Error(`bench: page ${page} of / has no "Older columns" link`);
      before = `/${next}`;
    }
    const searchTargets = ROTATING.map((query) => `/search?q=${encodeURIComponent(query)}`);
    const distinctTargets = distinctSearchQueries().map((query) => `/search?q=${encodeURIComponent(query)}`);
    const searches: SearchProbe[] = [];
    for (const [n, query] of ROTATING.entries()) {
      const page = await text(searchTargets[n]!);
      const shown = (page.match(/<article>/g) ?? []).length;
      searches.push({
        query,
        target: searchTargets[n]!,
        storiesWith: seed.storiesWith.get(query),
        shown,
        more: page.includes('rel="next"'),
      });
    }
    const scenarios: SiteScenario[] = [
      ...(only
        ? []
        : [
            { name: '/', targets: ['/'], built: 'kept' as const },
            { name: '/columnists', targets: ['/columnists'], built: 'kept' as const },
            { name: 'a columnist page', targets: [columnistPath], built: 'kept' as const },
            { name: '/?before= (page 5)', targets: [before], built: 'per request' as const },
          ]),
      { name: `/search, ${ROTATING.length} queries rotating`, targets: searchTargets, built: 'per request' },
      { name: `/search, ${distinctTargets.length} distinct queries rotating`, targets: distinctTargets, built: 'per request' },
    ];

    // The exact bytes ours sends for every target, for the floor to replay.
    const byTarget: Record<string, CapturedResponse> = {};
    const pageKb = new Map<string, number>();
    for (const target of scenarios.flatMap((scenario) => scenario.targets)) {
      const captured = await captureResponse(`${ours.url}${target}`, options.headers);
      const again = await captureResponse(`${ours.url}${target}`, options.headers);
      check(captured.status === 200, `ours: ${target} answered ${captured.status}`);
      check(again.body.equals(captured.body), `ours: ${target} sends the same bytes twice (so the floor replays what ours sends)`);
      byTarget[target] = captured;
      pageKb.set(target, captured.body.length / 1024);
    }
    const raw = await startChild('./serve-raw.ts', { nodeFlags: profile, init: { type: 'replay', byTarget } });
    children.push(raw);
    for (const [target, captured] of Object.entries(byTarget)) {
      const replayed = await captureResponse(`${raw.url}${target}`, options.headers);
      check(replayed.body.equals(captured.body), `raw floor: replays the bytes ours sent for ${target}`);
    }

    const sampleSequential = async (targets: string[]) => {
      const samples = {
        ours: await sequentialSamples(ours.url, targets, options.searchSamples, options.headers),
        raw: await sequentialSamples(raw.url, targets, options.searchSamples, options.headers),
      };
      for (const which of ['ours', 'raw'] as const) {
        const statuses = samples[which].statuses;
        check(
          statuses.get(200) === options.searchSamples,
          `${which}: ${options.searchSamples} sequential searches over ${targets.length} queries all answered 200 (${[...statuses].map(([status, n]) => `${n} × ${status}`).join(', ')})`,
        );
      }
      return samples;
    };
    const sequential = await sampleSequential(searchTargets);
    // Started at a later part of the list than the load's captures and warm-up passed through.
    const sequentialDistinct = await sampleSequential([...distinctTargets.slice(150), ...distinctTargets.slice(0, 150)]);

    const runs: ScenarioRun[] = [];
    const servers = { ours, raw };
    for (const scenario of scenarios) {
      const load = (server: Child, seconds: number) =>
        runLoad(`${server.url}${scenario.targets[0]}`, {
          connections: options.connections,
          seconds,
          headers: options.headers,
          ...(scenario.targets.length > 1 ? { paths: scenario.targets } : {}),
        });
      for (const server of [ours, raw]) await load(server, 1);
      for (let round = 0; round < options.rounds; round++) {
        for (const which of round % 2 === 0 ? (['ours', 'raw'] as const) : (['raw', 'ours'] as const)) {
          const before = await servers[which].stats();
          const own = process.cpuUsage();
          const result = await load(servers[which], options.seconds);
          const used = process.cpuUsage(own);
          const after = await servers[which].stats();
          const serverUs = after.cpuUs - before.cpuUs;
          runs.push({
            scenario,
            which,
            load: result,
            cpuUsPerRequest: serverUs / Math.max(1, result.requests),
            serverCpuPct: (serverUs / (result.seconds * 1e6)) * 100,
            loadCpuPct: ((used.user + used.system) / (result.seconds * 1e6)) * 100,
          });
          if (options.verbose)
            console.log(
              `  ${scenario.name}, round ${round + 1}, ${which}: ${Math.round(result.reqPerS)} req/s, p95 ${result.p95Ms.toFixed(2)} ms`,
            );
        }
      }
      for (const which of ['ours', 'raw'] as const) {
        const mine = runs.filter((run) => run.scenario === scenario && run.which === which).map((run) => run.load);
        const total = mine.reduce((sum, load) => sum + load.requests, 0);
        const ok = mine.reduce((sum, load) => sum + (load.statuses.get(200) ?? 0), 0);
        const errors = mine.reduce((sum, load) => sum + load.errors + load.timeouts, 0);
        check(
          total > 0 && ok === total && errors === 0,
          `${which} ${scenario.name}: ${ok}/${total} answered 200, ${errors} errors or timeouts`,
        );
      }
    }
    const peakRssMb = (await ours.stats()).maxRssMb;
    agent.destroy();
    return {
      backend: database ? 'PostgreSQL' : 'SQLite',
      seed,
      seedMs,
      columnists,
      renders: only ? [] : renders,
      searches,
      sequential,
      sequentialDistinct,
      runs,
      scenarios,
      peakRssMb,
      pageKb,
      checks,
    };
  } finally {
    await Promise.allSettled(children.map((child) => child.close(5_000)));
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Median of a list of times, or NaN when there are none. */
export const medianOf = (values: readonly number[]): number => (values.length === 0 ? NaN : median(values));

/** ANALYZE on the bench's PostgreSQL database. */
async function analyzeDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}
