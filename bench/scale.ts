/**
 * The scale bench (`npm run bench -- scale`): the compiled program (bin/columnwire.js →
 * dist/main.js) polling a simulated fleet (bench/scale-fleet.ts, a child process: N feeds over 200
 * loopback ports, a seeded change model, 304s, 500s, 429s, slow and endless bodies, cross-feed
 * duplicates, a request log as ground truth). Runs in turn, each on a fresh store, for the same
 * time: SQLite in one `columnwire run` (the baseline), then PostgreSQL with 1, 2 and 4
 * `--roles worker` processes and one `--roles scheduler`, then 2 workers with one killed by
 * SIGKILL (and restarted) every so often under 3 schedulers, then 2 workers while the PostgreSQL
 * server is restarted (`pg_ctl restart -m fast`) on a throwaway cluster of the bench's own
 * (started from the installed binaries, as the test suite does). PostgreSQL is otherwise the server on
 * 127.0.0.1:5432 (BENCH_SCALE_PG_URL overrides): the bench makes its own database
 * columnwire_bench_<pid> and drops it at the end.
 *
 * Knobs: `--scale-feeds N` or BENCH_SCALE_FEEDS (default 20,000), BENCH_SCALE_SECONDS per run
 * (default 240), BENCH_SCALE_RESTARTS (PostgreSQL restarts in the pg-restart run, default 2, evenly spaced), BENCH_SCALE_PERIOD_MINUTES (poll.schedule's period, so each feed's own period:
 * default 1), BENCH_SCALE_CONCURRENCY (poll.concurrency of every process, default 32: a worker's
 * jobs in hand), BENCH_SCALE_KILLS (default 6), BENCH_SCALE_SEED, BENCH_SCALE_RUNS (a comma list of run
 * names, to run fewer), BENCH_SCALE_KEEP=1 keeps the scratch folder (request logs, process logs).
 * The run named `digest` (bench/scale-digest.ts: a digest to BENCH_SCALE_DIGEST_RECIPIENTS
 * subscribers, default 100,000, over 2 workers with 3 kills) runs only when BENCH_SCALE_RUNS names it.
 * Exit 1 only when a correctness check fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { feedId, feedPath, HOSTS, hostOf } from './scale-model.ts';
import { printScaleReport } from './scale-report.ts';
import { runDigestScale } from './scale-digest.ts';
import { runPlan, type RunPlan, type RunResult } from './scale-run.ts';
import { startChild } from './serve-child.ts';
import { clusterBinaries, startThrowawayCluster } from '../tests/helpers/postgres-server.ts';
import { fmt } from './measure.ts';

const TICK_SECONDS = 2;

const envInteger = (name: string, fallback: number, min: number, max: number): number => {
  const text = process.env[name] ?? String(fallback);
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`bench: ${name} must be an integer ${min}–${max}, got "${text}"`);
  return value;
};

/** The runs, in order; BENCH_SCALE_RUNS picks some by name. */
function plans(kills: number, restarts: number): RunPlan[] {
  const all: RunPlan[] = [
    { name: 'sqlite', label: 'SQLite, 1 process (run)', mode: 'sqlite', workers: 0, schedulers: 0, kills: 0, restarts: 0 },
    { name: 'pg-1w', label: 'PostgreSQL, 1 worker + 1 scheduler', mode: 'postgres', workers: 1, schedulers: 1, kills: 0, restarts: 0 },
    { name: 'pg-2w', label: 'PostgreSQL, 2 workers + 1 scheduler', mode: 'postgres', workers: 2, schedulers: 1, kills: 0, restarts: 0 },
    { name: 'pg-4w', label: 'PostgreSQL, 4 workers + 1 scheduler', mode: 'postgres', workers: 4, schedulers: 1, kills: 0, restarts: 0 },
    {
      name: 'pg-kills',
      label: `PostgreSQL, 2 workers + 3 schedulers, ${kills} kill -9`,
      mode: 'postgres',
      workers: 2,
      schedulers: 3,
      kills,
      restarts: 0,
    },
    {
      name: 'pg-restart',
      label: `PostgreSQL, 2 workers + 1 scheduler, ${restarts} PostgreSQL restarts`,
      mode: 'postgres',
      workers: 2,
      schedulers: 1,
      kills: 0,
      restarts,
    },
  ];
  const wanted = wantedRuns();
  return wanted ? all.filter((plan) => wanted.includes(plan.name)) : all;
}

/** The run names BENCH_SCALE_RUNS asks for, or null for the default list (every run but `digest`). */
const wantedRuns = (): string[] | null => process.env.BENCH_SCALE_RUNS?.split(',').map((name) => name.trim()) ?? null;

function configYaml(ports: readonly number[], feeds: number, periodMinutes: number, concurrency: number): string {
  const lines = [
    'retentionDays: 0',
    'shutdownGraceSeconds: 5',
    'server:',
    '  port: 0',
    'poll:',
    `  schedule: "${periodMinutes === 1 ? '* * * * *' : `*/${periodMinutes} * * * *`}"`,
    `  concurrency: ${concurrency}`,
    '  perHostConcurrency: 2',
    '  timeoutSeconds: 5',
    '  parseTimeoutSeconds: 5',
    '  allowPrivateAddresses: [127.0.0.1]',
    'feeds:',
  ];
  for (let index = 0; index < feeds; index++)
    lines.push(`  - url: http://127.0.0.1:${ports[hostOf(index)]}${feedPath(index)}`, `    id: ${feedId(index)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `body` against a database on a PostgreSQL server of the bench's own (a throwaway cluster,
 * as the test suite starts one), so that it can be restarted; the cluster is removed after.
 */
async function withOwnCluster<T>(
  body: (own: { databaseUrl: string; createSchema(schema: string): Promise<void>; restartPostgres(): void }) => Promise<T>,
): Promise<T> {
  const cluster = await startThrowawayCluster();
  try {
    const databaseUrl = Object.assign(new URL(cluster.adminUrl), { pathname: '/columnwire_bench' }).href;
    // Short-lived clients: one left open would see the restart as an error.
    const once = async (url: string, sql: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    await once(cluster.adminUrl, 'CREATE DATABASE columnwire_bench');
    return await body({
      databaseUrl,
      createSchema: (schema) => once(databaseUrl, `CREATE SCHEMA ${schema}`),
      restartPostgres: () => cluster.restart(),
    });
  } finally {
    cluster.stop();
  }
}

/** Runs the scale bench over `feeds` feeds; sets process.exitCode to 1 when a correctness check fails. */
export async function runScaleBench(feeds: number): Promise<void> {
  const runMs = envInteger('BENCH_SCALE_SECONDS', 240, 30, 3_600) * 1000;
  const periodMinutes = envInteger('BENCH_SCALE_PERIOD_MINUTES', 1, 1, 30);
  const kills = envInteger('BENCH_SCALE_KILLS', 6, 0, 100);
  const restarts = envInteger('BENCH_SCALE_RESTARTS', 2, 1, 20);
  const seed = envInteger('BENCH_SCALE_SEED', 12, 0, 2 ** 31);
  const concurrency = envInteger('BENCH_SCALE_CONCURRENCY', 32, 1, 64);
  const digestRecipients = envInteger('BENCH_SCALE_DIGEST_RECIPIENTS', 100_000, 100, 1_000_000);
  if (60 % periodMinutes !== 0) throw new Error(`bench: BENCH_SCALE_PERIOD_MINUTES must divide 60, got ${periodMinutes}`);
  const adminUrl = process.env.BENCH_SCALE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `columnwire_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await admin.connect().catch((cause: unknown) => {
    throw new Error(`bench: scale needs PostgreSQL at ${adminUrl.replace(/:[^:@/]*@/, ':***@')} (BENCH_SCALE_PG_URL)`, { cause });
  });
  await admin.query(`CREATE DATABASE ${database}`);
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${database}` }).href;
  const scratch = mkdtempSync(join(tmpdir(), 'columnwire-scale-'));
  const fleet = await startChild('./scale-fleet.ts');
  const cleanUp = async () => {
    await fleet.close().catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await admin.end().catch(() => {});
    if (process.env.BENCH_SCALE_KEEP !== '1') rmSync(scratch, { recursive: true, force: true });
  };
  const interrupted = (signal: NodeJS.Signals): void => void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    const { ports } = await fleet.request<{ ports: number[] }>({ type: 'ports' });
    const configPath = join(scratch, 'feeds.yaml');
    writeFileSync(configPath, configYaml(ports, feeds, periodMinutes, concurrency));
    const schemaClient = new pg.Client({ connectionString: databaseUrl });
    await schemaClient.connect();
    const context = {
      fleet,
      feeds,
      seed,
      configPath,
      scratch,
      databaseUrl,
      createSchema: async (schema: string) => void (await schemaClient.query(`CREATE SCHEMA ${schema}`)),
      runMs,
      periodMs: periodMinutes * 60_000,
      tickSeconds: TICK_SECONDS,
    };
    console.log(
      `\ncolumnwire scale bench: Node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${new Date().toISOString()}`,
    );
    console.log(
      `fleet: pid ${fleet.pid}, ${fmt(feeds)} feeds over ${HOSTS} loopback ports, seed ${seed}; each run ${runMs / 1000} s on a fresh store; poll period ${periodMinutes} min (each feed's own clock on PostgreSQL, the cron cycle on SQLite), planner tick ${TICK_SECONDS} s; poll.concurrency ${concurrency} per process (a worker keeps that many jobs in hand), perHostConcurrency 2, timeout 5 s; database ${database}; scratch ${scratch}`,
    );
    const results: RunResult[] = [];
    try {
      for (const plan of plans(kills, restarts)) {
        if (process.stderr.isTTY) process.stderr.write(`bench: scale run ${plan.name} (${runMs / 1000} s)\n`);
        try {
          if (plan.restarts === 0) results.push(await runPlan(plan, context));
          else if (clusterBinaries()) results.push(await withOwnCluster((own) => runPlan(plan, { ...context, ...own })));
          else
            console.log(
              `not run: ${plan.name}: no PostgreSQL binaries to start a server of the bench's own (Debian: apt-get install postgresql)`,
            );
        } catch (error) {
          // One broken run does not hide the others' figures; it fails the bench.
          console.log(`FAIL ${plan.name}: the run broke off: ${(error as Error).stack ?? String(error)}`);
          process.exitCode = 1;
        }
      }
      if (wantedRuns()?.includes('digest')) {
        if (process.stderr.isTTY) process.stderr.write(`bench: scale run digest (${fmt(digestRecipients)} recipients)\n`);
        try {
          const ok = await runDigestScale({ ...context, recipients: digestRecipients });
          if (!ok) process.exitCode = 1;
        } catch (error) {
          console.log(`FAIL digest: the run broke off: ${(error as Error).stack ?? String(error)}`);
          process.exitCode = 1;
        }
      }
    } finally {
      await schemaClient.end();
    }
    if (results.length > 0 && !printScaleReport(results, { feeds, periodMs: periodMinutes * 60_000, tickSeconds: TICK_SECONDS }))
      process.exitCode = 1;
    if (!wantedRuns()?.includes('digest'))
      console.log('not measured in this run: a digest to many subscribers with kills (BENCH_SCALE_RUNS=digest)');
  } finally {
    await cleanUp();
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
}
