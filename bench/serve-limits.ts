/**
 * Rotating `?limit=` against the document cache (issue 9 §7): the serving bench's 10,000
 * stories, columnwire's server in a child (bench/serve-ours.ts), and autocannon here with every
 * request asking /feed.xml for the next limit of 1..500; then the same load on a fixed
 * /feed.xml for comparison, and the rotation again with every bucket built. Prints req/s, p99, how many documents the server built, statuses.
 *
 * Run: `npx tsx bench/serve-limits.ts`. Knobs (env): BENCH_SERVE_SECONDS per run (default 5),
 * BENCH_SERVE_CONNECTIONS (default 8, the figure).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createApp } from '../src/app.ts';
import { parseConfig } from '../src/config/load.ts';
import { createLogger } from '../src/logger.ts';
import { fmt } from './measure.ts';
import { startChild, type ChildStats } from './serve-child.ts';
import { SERVE_SPEC, seedStore, serveConfigYaml } from './serve-seed.ts';

const seconds = Number(process.env.BENCH_SERVE_SECONDS ?? 5);
const connections = Number(process.env.BENCH_SERVE_CONNECTIONS ?? 8);

interface Run {
  reqPerS: number;
  p99Ms: number;
  statuses: string;
  builds: number;
}

/** autocannon against `base` for `seconds`; `path()` names each request's path. */
async function load(base: string, path: () => string, stats: () => Promise<number>): Promise<Run> {
  const before = await stats();
  const result = await autocannon({
    url: base,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 30,
    headers: { 'accept-encoding': 'gzip' },
    requests: [{ setupRequest: (request) => ({ ...request, path: path() }) }],
  });
  const statuses = Object.entries(result.statusCodeStats ?? {})
    .map(([status, { count }]) => `${fmt(Number(count))} × ${status}`)
    .join(', ');
  return {
    reqPerS: result.requests.average,
    p99Ms: result.latency.p99,
    statuses: `${statuses}; ${result.errors} errors, ${result.timeouts} timeouts`,
    builds: (await stats()) - before,
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'columnwire-limits-bench-'));
try {
  const configPath = join(dataDir, 'feeds.yaml');
  writeFileSync(configPath, serveConfigYaml());
  const app = await createApp({ config: parseConfig(serveConfigYaml(), configPath), dataDir, logger: createLogger({ level: 'warn' }) });
  const seed = await seedStore(app, new Date());
  await app.close();
  console.log(
    `limits bench: Node ${process.version}, ${availableParallelism()} CPUs; ${fmt(seed.stories)} stories (expected ${fmt(SERVE_SPEC.feeds * SERVE_SPEC.ownPerFeed)}); ${connections} connections, ${seconds} s per run`,
  );
  const ours = await startChild('./serve-ours.ts', { args: [dataDir] });
  try {
    const builds = async () => (await ours.request<ChildStats & { builds: number }>({ type: 'stats' })).builds;
    let next = 0;
    const rotating = () => `/feed.xml?limit=${(next++ % 500) + 1}`;
    await load(ours.url, () => '/feed.xml', builds); // warm-up: JIT, the default document
    const fixed = await load(ours.url, () => '/feed.xml', builds);
    const rotated = await load(ours.url, rotating, builds);
    // Again: every bucket is built now, so this is the steady state between two store changes.
    const rotatedWarm = await load(ours.url, rotating, builds);
    const print = (name: string, run: Run) =>
      console.log(
        `${name.padEnd(34)} ${fmt(run.reqPerS).padStart(7)} req/s  p99 ${fmt(run.p99Ms, 1)} ms  ${fmt(run.builds)} documents built  (${run.statuses})`,
      );
    print('/feed.xml (fixed)', fixed);
    print('/feed.xml?limit=1..500 (rotating)', rotated);
    print('  the same again (cache warm)', rotatedWarm);
    console.log(
      `rotating/fixed: ${(rotated.reqPerS / fixed.reqPerS).toFixed(2)}x, warm ${(rotatedWarm.reqPerS / fixed.reqPerS).toFixed(2)}x (larger documents: 147 stories served on average against 50); ${fmt(next)} rotating requests sent`,
    );
  } finally {
    await ours.close();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
