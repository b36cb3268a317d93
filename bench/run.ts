/**
 * `npm run bench`: ingest (1,000 feeds from a separate server process: fresh, changed and
 * all-304 passes in-process, each beside its floors measured in the same run: plain fetch,
 * bare rss-parser, bare SQLite inserts; then `columnwire poll` as whole processes at 1,000 and
 * 3,000 feeds, and the start-up of --version, stats and healthcheck), and parse throughput
 * against bare rss-parser. Prints one table, the floors, the correctness checks and the issue's
 * targets with PASS/FAIL. Then the serving benchmark (bench/serve.ts): /feed.xml 200 and 304
 * against a raw node:http floor, and feed rebuild times, over 10,000 stored stories.
 *
 * Then the digest benchmark (bench/digest.ts): 100 stories to 10,000 recipients through a
 * local smtp-server child, against nodemailer sending one prebuilt message 10,000 times; then its
 * choices scenario (bench/digest-choices.ts): the same send to subscribers kept as data, 30% of
 * them with choices of columnists/outlets/tags, rendered once per distinct selection.
 *
 * Which part runs: `npm run bench` all four (ingest, serve, digest, digest-choices); `npm run bench -- ingest` only ingest + parse;
 * `npm run bench -- serve` only serving; `npm run bench -- digest` only the digest send;
 * `npm run bench -- digest-choices` only the digest send with readers' choices;
 * `npm run bench -- site` only the readers' site (bench/site.ts: 100,000 stories; not part of
 * "all", it takes minutes to seed) (or env BENCH=ingest|serve|digest|digest-choices|site when argv is not handy). `--feeds N` (or env BENCH_FEEDS)
 * runs the ingest passes over N feeds instead of 1,000; the whole-process passes run at N and
 * at 1,000 and 3,000 feeds either way (peak RSS). Exit 1 only when a correctness check fails.
 *
 * `npm run bench -- scale` (not part of `all`: it needs PostgreSQL and takes about 25 minutes)
 * runs the scale-out benchmark (bench/scale.ts): SQLite against 1, 2 and 4 PostgreSQL workers
 * polling a simulated fleet, workers killed mid-run. `--scale-feeds N` (or env BENCH_SCALE_FEEDS)
 * sizes the fleet (default 20,000). `BENCH_SCALE_RUNS=digest npm run bench -- scale` runs only
 * the digest run instead (bench/scale-digest.ts: 100,000 subscribers over 2 workers, 3 kills).
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { INGEST_SPEC, expectedStories, generateBigAtom, generateBigRss, type FeedSetSpec } from './generate-feeds.ts';
import { startFeedServer, type FeedServer } from './ingest.ts';
import { benchIngestPasses, CONCURRENCY, type BenchLog } from './ingest-passes.ts';
import { printIngestReport } from './ingest-report.ts';
import { createRssSampler, fmt, toMb, type Row } from './measure.ts';
import { compareParsers, type ParseComparison } from './parse.ts';
import { benchPollProcesses, type PollProcesses } from './poll-processes.ts';
import { describeTimer } from './process-runs.ts';
import { benchStartup } from './startup.ts';
import { runDigestChoicesBench } from './digest-choices.ts';
import { runDigestBench } from './digest.ts';
import { runScaleBench } from './scale.ts';
import { runServeBench } from './serve.ts';
import { runSiteBench } from './site.ts';

const BIG_FEED_ITEMS = 5_000;
/** Feed counts the whole-process passes always run at: the peak-RSS target names both. */
const PEAK_RSS_FEEDS = [1_000, 3_000];

const rows: Row[] = [];
const checks: Array<[boolean, string]> = [];
const sampler = createRssSampler(20);
const log: BenchLog = { sampler, rows, check: (ok, text) => void checks.push([ok, text]) };
/** Progress for a person watching; the report itself goes to stdout. */
const progress = (text: string): void => void (process.stderr.isTTY && process.stderr.write(`bench: ${text}\n`));

function parseRows(format: string, result: ParseComparison): void {
  const work = `${fmt(result.ours.items)} items, ${fmt(toMb(result.bytes), 1)} MB`;
  for (const [name, figures] of [
    ['parseFeed', result.ours],
    ['bare rss-parser', result.bare],
  ] as const) {
    const seconds = figures.medianMs / 1000;
    rows.push({
      what: `${name}, ${format} (median of 5)`,
      work,
      ms: figures.medianMs,
      itemsPerS: figures.items / seconds,
      mbPerS: toMb(result.bytes) / seconds,
      peakRssMb: figures.peakRssMb,
    });
  }
}

async function startServer(spec: FeedSetSpec, purpose: string): Promise<FeedServer> {
  const server = await startFeedServer(spec.feeds);
  console.log(
    `feed server ${purpose}: pid ${server.pid} on 127.0.0.1:${server.port}, ${fmt(server.urls.length)} RSS 2.0 feeds x ${spec.itemsPerFeed} items (${spec.sharedPerFeed} syndicated per feed), ${fmt(toMb(server.bytes), 1)} MB, generated in ${fmt(server.generateMs)} ms`,
  );
  return server;
}

async function main(feeds: number): Promise<void> {
  console.log(`columnwire bench: Node ${process.version}, ${availableParallelism()} CPUs, ${new Date().toISOString()}`);
  let server: FeedServer | undefined;
  const root = await mkdtemp(join(tmpdir(), 'columnwire-bench-'));
  const cleanUp = (): void => {
    sampler.stop();
    server?.close();
    rmSync(root, { recursive: true, force: true });
  };
  const interrupted = (signal: NodeJS.Signals): void => {
    cleanUp();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    const spec: FeedSetSpec = { ...INGEST_SPEC, feeds };
    server = await startServer(spec, '(every pass)');
    console.log(
      `poll: concurrency ${CONCURRENCY}, perHostConcurrency ${CONCURRENCY} (set equal to concurrency: all feeds are on one host, 127.0.0.1; the schema caps it at 16, so 16 rather than 20), raw floor uses the same ${CONCURRENCY}; retentionDays 0 (the generated dates are fixed, 2023–2025); scratch dir ${root} (os.tmpdir(), so on disk unless TMPDIR says otherwise)`,
    );
    console.log(
      `changed pass: the server switches to version 2 of every feed (one new column on top, the oldest item gone: 49 of 50 known, a new ETag)`,
    );
    console.log(`whole processes: ${describeTimer()}\n`);
    progress(`in-process passes and floors, ${fmt(feeds)} feeds`);
    const ingest = await benchIngestPasses(log, server, spec, join(root, 'in-process'), join(root, 'floors'));
    const processes = new Map<number, PollProcesses>();
    progress(`poll processes, ${fmt(feeds)} feeds`);
    const ours = await benchPollProcesses(log, server, spec, join(root, `poll-${feeds}`));
    processes.set(feeds, ours);
    progress('start-up');
    const startup = await benchStartup(log, ours.configPath, ours.dataDir, expectedStories(spec, 2), root);
    server.close();
    for (const size of PEAK_RSS_FEEDS.filter((size) => !processes.has(size))) {
      const sized: FeedSetSpec = { ...INGEST_SPEC, feeds: size };
      progress(`poll processes, ${fmt(size)} feeds`);
      server = await startServer(sized, '(whole-process passes only)');
      processes.set(size, await benchPollProcesses(log, server, sized, join(root, `poll-${size}`)));
      server.close();
    }

    progress('parse');
    const rss = generateBigRss(BIG_FEED_ITEMS);
    const rssResult = await compareParsers(sampler, rss, 'https://www.northernledger.co.uk/commentisfree/rss', BIG_FEED_ITEMS);
    parseRows('RSS 2.0', rssResult);
    const atom = generateBigAtom(BIG_FEED_ITEMS);
    const atomResult = await compareParsers(sampler, atom, 'https://www.northernledger.co.uk/commentisfree/atom', BIG_FEED_ITEMS);
    parseRows('Atom 1.0', atomResult);

    const allOk = printIngestReport({ rows, checks, ingest, processes, startup, rss: rssResult, atom: atomResult });
    if (!allOk) process.exitCode = 1;
  } finally {
    cleanUp();
  }
}

const usage = (problem: string): never => {
  console.error(
    `usage: npm run bench [-- ingest|serve|digest|digest-choices|site|scale] [--feeds 1-6000] [--scale-feeds 100-100000]  (${problem})`,
  );
  process.exit(2);
};
let args: { positionals: string[]; values: { feeds?: string | undefined; 'scale-feeds'?: string | undefined } } = {
  positionals: [],
  values: {},
};
try {
  args = parseArgs({ options: { feeds: { type: 'string' }, 'scale-feeds': { type: 'string' } }, allowPositionals: true, strict: true });
} catch (error) {
  usage((error as Error).message);
}
const part = args.positionals[0] ?? process.env.BENCH ?? 'all';
const feedsText = args.values.feeds ?? process.env.BENCH_FEEDS ?? String(INGEST_SPEC.feeds);
const feeds = Number(feedsText);
const scaleFeedsText = args.values['scale-feeds'] ?? process.env.BENCH_SCALE_FEEDS ?? '20000';
const scaleFeeds = Number(scaleFeedsText);
if (!['all', 'ingest', 'serve', 'digest', 'digest-choices', 'site', 'scale'].includes(part)) usage(`got part "${part}"`);
if (!Number.isInteger(scaleFeeds) || scaleFeeds < 100 || scaleFeeds > 100_000)
  usage(`got ${args.values['scale-feeds'] === undefined ? 'BENCH_SCALE_FEEDS' : '--scale-feeds'} "${scaleFeedsText}"`);
if (!Number.isInteger(feeds) || feeds < 1 || feeds > 6_000)
  usage(`got ${args.values.feeds === undefined ? 'BENCH_FEEDS' : '--feeds'} "${feedsText}"`);
if (part === 'all' || part === 'ingest') await main(feeds);
if (part === 'all' || part === 'serve') await runServeBench();
if (part === 'all' || part === 'digest') await runDigestBench();
if (part === 'all' || part === 'digest-choices') await runDigestChoicesBench();
if (part === 'site') await runSiteBench();
if (part === 'scale') await runScaleBench(scaleFeeds);
