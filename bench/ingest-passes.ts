/**
 * The in-process ingest passes over the feed server's set, each beside its floors measured in
 * the same run: fresh (every feed new), changed (version 2: one new column of 50 per feed and a
 * new ETag) and all-304, through one app's pollAll. Floors: plain fetch, bare rss-parser on the
 * same bodies, bare multi-row SQLite inserts (bench/floors.ts).
 */
import { mkdir } from 'node:fs/promises';
import { createApp, type App } from '../src/app.ts';
import { parseConfig } from '../src/config/load.ts';
import { createLogger } from '../src/logger.ts';
import { createFloorDb, insertFloor, parseFloor, type FloorDb, type FloorFigures } from './floors.ts';
import { expectedStories, type FeedSetSpec, type FeedVersion } from './generate-feeds.ts';
import { benchConfigYaml, fetchBodies, fetchRaw, pollPass, type FeedServer } from './ingest.ts';
import { fmt, processPeakRssMb, repeatStage, stage, toMb, type Row, type RssSampler, type Span } from './measure.ts';

/** The issue asks for about 20; the schema caps perHostConcurrency at 16 and every feed is on one host. */
export const CONCURRENCY = 16;
/** Raw fetches and all-304 passes are repeated (median reported); a fresh or changed pass can only run once. */
const REPS = 5;
/** Parse floors: timed runs after a warm-up; insert floors: one run per fresh database (medians reported). */
const FLOOR_REPS = 3;

/** Where results go: the table's rows and the correctness checks. */
export interface BenchLog {
  sampler: RssSampler;
  rows: Row[];
  check(ok: boolean, text: string): void;
}

type Timed = Span & { minMs: number; maxMs: number };

/** One pass: ours beside the floors for the same work. */
export interface PassResult {
  feeds: number;
  /** Items the pass parsed (0 for all-304). */
  items: number;
  ours: Timed & { peakRssMb: number };
  fetch: Timed;
  parse?: FloorFigures;
  insert?: FloorFigures;
}

export interface IngestResult {
  fresh: PassResult;
  changed: PassResult;
  notModified: PassResult;
  /** The kernel's maxrss of this process after the three passes (before the parse and insert floors). */
  peakRssMb: number;
}

const perS = (count: number, ms: number): number => count / (ms / 1000);
const once = ({ ms, cpuMs, peakRssMb }: Span & { peakRssMb: number }) => ({ ms, cpuMs, peakRssMb, minMs: ms, maxMs: ms });

async function rawFetch(log: BenchLog, urls: readonly string[], label: string, itemsPerFeed: number, etags?: ReadonlyArray<string | null>) {
  const raw = await repeatStage(log.sampler, REPS, () => fetchRaw(urls, CONCURRENCY, etags));
  const status = etags ? 304 : 200;
  const counts = raw.values.map((result) => result.statuses.get(status) ?? 0);
  log.check(
    counts.every((n) => n === urls.length),
    `raw ${label}: ${counts.join(', ')} of ${urls.length} answered ${status} in the ${REPS} runs`,
  );
  log.rows.push({
    what: `raw fetch, ${label} (${status}), median of ${REPS}`,
    work: `${fmt(urls.length)} feeds`,
    ms: raw.ms,
    cpuMs: raw.cpuMs,
    feedsPerS: perS(urls.length, raw.ms),
    ...(status === 200 ? { itemsPerS: perS(urls.length * itemsPerFeed, raw.ms), mbPerS: perS(toMb(raw.values[0]!.bytes), raw.ms) } : {}),
    peakRssMb: raw.peakRssMb,
  });
  return raw;
}

/** Bare rss-parser on `version`'s bodies, then the rows it keeps inserted into each of the floor databases. */
async function parseAndInsertFloors(log: BenchLog, server: FeedServer, spec: FeedSetSpec, version: FeedVersion, dbs: readonly FloorDb[]) {
  const bodies = await fetchBodies(server.urls, CONCURRENCY);
  const megabytes = toMb(bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0));
  log.sampler.reset();
  // Version 2's new column is its first item; the other 49 are already stored.
  const { figures: parse, rows } = await parseFloor(bodies, FLOOR_REPS, version === 1 ? (items) => items : (items) => items.slice(0, 1));
  const items = spec.feeds * spec.itemsPerFeed;
  log.check(parse.count === items, `bare rss-parser, version ${version}: ${fmt(parse.count)}/${fmt(items)} items read`);
  log.rows.push({
    what: `bare rss-parser, version ${version} bodies, median of ${FLOOR_REPS}`,
    work: `${fmt(spec.feeds)} feeds, ${fmt(parse.count)} items`,
    ms: parse.ms,
    cpuMs: parse.cpuMs,
    feedsPerS: perS(spec.feeds, parse.ms),
    itemsPerS: perS(parse.count, parse.ms),
    mbPerS: perS(megabytes, parse.ms),
    peakRssMb: log.sampler.peakMb(),
  });
  log.sampler.reset();
  const insert = insertFloor(dbs, rows);
  log.rows.push({
    what: `bare SQLite multi-row INSERT, ${version === 1 ? `${spec.itemsPerFeed}` : '1'} per feed, median of ${dbs.length}`,
    work: `${fmt(spec.feeds)} transactions, ${fmt(insert.count)} rows`,
    ms: insert.ms,
    cpuMs: insert.cpuMs,
    feedsPerS: perS(spec.feeds, insert.ms),
    itemsPerS: perS(insert.count, insert.ms),
    peakRssMb: log.sampler.peakMb(),
  });
  return { parse, insert };
}

/** Parse and insert floors for both versions, into FLOOR_REPS databases; leaves the server on version 2. */
async function parseAndInsertBoth(log: BenchLog, server: FeedServer, spec: FeedSetSpec, floorDir: string) {
  await mkdir(floorDir, { recursive: true });
  const dbs = Array.from({ length: FLOOR_REPS }, (_, rep) => createFloorDb(floorDir, `floor-${rep}`));
  try {
    await server.setVersion(1);
    const fresh = await parseAndInsertFloors(log, server, spec, 1, dbs);
    await server.setVersion(2);
    // Each database already holds version 1's rows, as the poller's does when version 2 arrives.
    const changed = await parseAndInsertFloors(log, server, spec, 2, dbs);
    const counts = dbs.map((db) => db.countStories());
    const rowsWanted = spec.feeds * (spec.itemsPerFeed + 1);
    log.check(
      counts.every((n) => n === rowsWanted),
      `floor databases: ${counts.map((n) => fmt(n)).join(', ')} rows; expected ${fmt(rowsWanted)} each`,
    );
    return { fresh, changed };
  } finally {
    for (const db of dbs) db.close();
  }
}

/**
 * The fresh, changed and all-304 passes of one app over `server`'s feeds (`dataDir` must be
 * empty), each after its fetch floor; then the parse and insert floors, last, so the bodies and
 * rows they hold do not swell the poller's RSS readings. Leaves the server on version 2.
 */
export async function benchIngestPasses(
  log: BenchLog,
  server: FeedServer,
  spec: FeedSetSpec,
  dataDir: string,
  floorDir: string,
): Promise<IngestResult> {
  const { urls } = server;
  const { feeds, itemsPerFeed } = spec;
  const items = feeds * itemsPerFeed;
  // Warm-up, not measured: JIT of the server and of undici's 200 and 304 paths, the connection pool.
  const warm = await fetchRaw(urls, CONCURRENCY);
  await fetchRaw(urls, CONCURRENCY, warm.etags);
  const config = parseConfig(benchConfigYaml(urls, CONCURRENCY), 'bench.yaml');
  const app: App = await createApp({ config, dataDir, logger: createLogger({ level: 'warn' }) });
  let passes;
  try {
    const fetchFresh = await rawFetch(log, urls, 'version 1', itemsPerFeed);
    const fresh = await storedPass(log, app, server, 'fresh', spec);
    const expected = expectedStories(spec);
    log.check(
      fresh.stories === expected && fresh.totals.added === expected,
      `fresh: ${fmt(fresh.stories)} stories stored (${fmt(fresh.totals.added)} added, ${fmt(fresh.totals.duplicates)} syndicated copies merged); the generator implies ${fmt(expected)} distinct articles`,
    );
    const sources = [...(await app.store.countStoriesByFeed()).values()].reduce((sum, n) => sum + n, 0);
    log.check(sources === items, `fresh: ${fmt(sources)} story sources; expected one per item, ${fmt(items)}`);

    await server.setVersion(2);
    const fetchChanged = await rawFetch(log, urls, 'version 2', itemsPerFeed);
    const changed = await storedPass(log, app, server, 'changed', spec);
    const grew = changed.stories - fresh.stories;
    log.check(
      changed.totals.added === feeds && changed.totals.updated === 0 && grew === feeds && changed.stories === expectedStories(spec, 2),
      `changed: ${fmt(changed.totals.added)} new stories (expected ${fmt(feeds)}), ${fmt(changed.totals.updated)} updated, ${fmt(changed.totals.duplicates)} unchanged; the store grew by ${fmt(grew)} to ${fmt(changed.stories)}`,
    );

    const fetch304 = await rawFetch(log, urls, 'If-None-Match', itemsPerFeed, fetchChanged.values[0]!.etags);
    const served304 = (await server.stats()).notModified;
    const pass304 = await repeatStage(log.sampler, REPS, () => pollPass(app));
    const sent304 = (await server.stats()).notModified - served304;
    const notModified = pass304.values.map((pass) => pass.totals.notModified);
    log.check(
      notModified.every((n) => n === feeds) && sent304 === feeds * REPS,
      `all-304: ${notModified.join(', ')} of ${feeds} not-modified in the ${REPS} runs; the server sent ${fmt(sent304)} 304s`,
    );
    log.rows.push({
      what: `columnwire pollAll, all 304, median of ${REPS}`,
      work: `${fmt(feeds)} feeds`,
      ms: pass304.ms,
      cpuMs: pass304.cpuMs,
      feedsPerS: perS(feeds, pass304.ms),
      peakRssMb: pass304.peakRssMb,
    });
    passes = {
      fresh: { feeds, items: fresh.items, ours: once(fresh.run), fetch: fetchFresh },
      changed: { feeds, items: changed.items, ours: once(changed.run), fetch: fetchChanged },
      notModified: { feeds, items: 0, ours: pass304, fetch: fetch304 },
      peakRssMb: processPeakRssMb(),
    };
  } finally {
    await app.close();
  }
  const floors = await parseAndInsertBoth(log, server, spec, floorDir);
  return {
    ...passes,
    fresh: { ...passes.fresh, ...floors.fresh },
    changed: { ...passes.changed, ...floors.changed },
  };
}

/** One pass that stores content (fresh or changed): its row, and the checks every such pass shares. */
async function storedPass(log: BenchLog, app: App, server: FeedServer, name: 'fresh' | 'changed', spec: FeedSetSpec) {
  const { feeds } = spec;
  const items = feeds * spec.itemsPerFeed;
  const sentBefore = (await server.stats()).bytesSent;
  const run = await stage(log.sampler, () => pollPass(app));
  const sent = (await server.stats()).bytesSent - sentBefore;
  const { totals, errors } = run.value;
  const stored = totals.feeds - totals.failed - totals.skipped - totals.notModified;
  log.check(errors.length === 0, `${name}: ${errors.length} feeds failed${errors.length ? ` (first: ${errors[0]})` : ''}`);
  log.check(
    stored === feeds && run.value.items === items,
    `${name}: ${fmt(stored)}/${fmt(feeds)} feeds stored, ${fmt(run.value.items)}/${fmt(items)} items parsed`,
  );
  log.rows.push({
    what: `columnwire pollAll, ${name === 'fresh' ? 'fresh (200)' : `changed (1 new of ${spec.itemsPerFeed})`}, once`,
    work: `${fmt(feeds)} feeds, ${fmt(run.value.items)} items`,
    ms: run.ms,
    cpuMs: run.cpuMs,
    feedsPerS: perS(feeds, run.ms),
    itemsPerS: perS(run.value.items, run.ms),
    mbPerS: perS(toMb(sent), run.ms),
    peakRssMb: run.peakRssMb,
  });
  return { run, totals, items: run.value.items, stories: await app.store.countStories() };
}
