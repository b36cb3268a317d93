/**
 * The readers' site benchmark (`npm run bench -- site`, issue 13): 100,000 stories over 500
 * feeds, 40 outlets and about 300 columnists stored through the real store (SQLite);
 * columnwire's server in one child and the raw node:http floor replaying the exact bytes ours
 * sent for each request target in another; autocannon here against each in turn for /,
 * /columnists, a columnist page, a later home page (?before=) and /search with rotating
 * queries: the same eight, two naming an outlet and a columnist (after the first of each, the server's kept rankings answer them) and
 * 300 distinct ones (ranked anew every time); search also one request at a time, both ways; render times after start and after a store
 * change. Prints one table, ratios, checks, and the targets (pages within 2x of the floor's
 * req/s, search p95 under 50 ms) with PASS/FAIL. Exit code 1 when a check fails.
 *
 * Knobs (env): BENCH_SITE_STORIES (default 100000), BENCH_SITE_SECONDS per run (default 4),
 * BENCH_SITE_ROUNDS (default 3), BENCH_SITE_CONNECTIONS (default 10), BENCH_SITE_SEARCH_SAMPLES
 * one-at-a-time searches (default 240), BENCH_SITE_COLD_REPS store changes per page (default 5),
 * BENCH_SITE_ACCEPT_ENCODING (default a browser's "gzip, deflate, br"; "identity" for none),
 * BENCH_SERVE_CPU_PROF=DIR profiles both server children (as the serve bench does),
 * BENCH_SERVE_VERBOSE=1 prints every load run. BENCH_SITE_POSTGRES=postgres://…/postgres also
 * runs the search part on PostgreSQL: a database columnwire_sitebench_<pid> made on that server
 * for the run and dropped after it.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import pg from 'pg';
import { fmt } from './measure.ts';
import { benchBackend, type BackendResult, type SiteOptions } from './site-backend.ts';
import { printSiteReport } from './site-report.ts';
import { SITE_SPEC, VOCABULARY_WORDS } from './site-seed.ts';

const envNumber = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`bench: ${name} must be a positive whole number, got "${process.env[name]}"`);
  return value;
};

function readOptions(): SiteOptions {
  const encoding = process.env.BENCH_SITE_ACCEPT_ENCODING ?? 'gzip, deflate, br';
  return {
    stories: envNumber('BENCH_SITE_STORIES', 100_000),
    seconds: envNumber('BENCH_SITE_SECONDS', 4),
    rounds: envNumber('BENCH_SITE_ROUNDS', 3),
    connections: envNumber('BENCH_SITE_CONNECTIONS', 10),
    searchSamples: envNumber('BENCH_SITE_SEARCH_SAMPLES', 240),
    coldReps: envNumber('BENCH_SITE_COLD_REPS', 5),
    headers: encoding === 'identity' ? {} : { 'accept-encoding': encoding },
    profileDir: process.env.BENCH_SERVE_CPU_PROF ? resolve(process.env.BENCH_SERVE_CPU_PROF) : undefined,
    verbose: process.env.BENCH_SERVE_VERBOSE === '1',
  };
}

/** Runs `body` with a fresh database on the PostgreSQL server at `adminUrl`, dropped afterwards. */
async function withDatabase<T>(adminUrl: string, body: (url: string) => Promise<T>): Promise<T> {
  const name = `columnwire_sitebench_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await body(url.href);
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/** Runs the site benchmark and prints its report. */
export async function runSiteBench(): Promise<void> {
  const options = readOptions();
  const interrupted = (signal: NodeJS.Signals): void => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    console.log(
      `\ncolumnwire site bench: Node ${process.version}, ${availableParallelism()} CPUs; ${fmt(options.stories)} stories over ${SITE_SPEC.feeds} feeds, 40 outlets, ${SITE_SPEC.authors} bylines (+ unsigned feeds), excerpts ${SITE_SPEC.excerptChars.join('–')} characters from ${VOCABULARY_WORDS} content words`,
    );
    const results: BackendResult[] = [];
    const progress = (text: string) => void (process.stderr.isTTY && process.stderr.write(`bench: ${text}\n`));
    progress('site bench on SQLite');
    results.push(await benchBackend(options));
    const postgres = process.env.BENCH_SITE_POSTGRES;
    if (postgres) {
      progress('site bench search on PostgreSQL');
      results.push(await withDatabase(postgres, (url) => benchBackend(options, url, 'search')));
    }
    for (const result of results)
      console.log(
        `${result.backend}: seeded ${fmt(result.seed.items)} items → ${fmt(result.seed.stories)} stories in ${fmt(result.seedMs / 1000, 1)} s; excerpts ${fmt(result.seed.excerptChars.min)}–${fmt(result.seed.excerptChars.max)} characters (mean ${fmt(result.seed.excerptChars.mean)}); ${fmt(result.columnists)} columnists on /columnists`,
      );
    console.log('');
    const passed = printSiteReport(options, results);
    if (results.some((result) => result.checks.some(([ok]) => !ok))) process.exitCode = 1;
    if (!passed) console.log('  (a target failing does not fail the run; a check failing does)');
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
}
