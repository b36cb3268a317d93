/**
 * A digest's scheduled minute is never lost in cluster mode: the scheduler that claimed it dies
 * (SIGKILL) or has its run creation cut off by PostgreSQL (pg_terminate_backend) before the run
 * exists, and a scheduler (another one, or the same one, still alive) makes the run at a later
 * tick; once made, no tick makes a second one. Real `columnwire run --roles scheduler`
 * processes; the run's creation is held at its insert by a table lock taken from the test.
 */
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { createPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { message, startService, type RunningService } from '../helpers/service.ts';
import { owedDigest as seedOwedDigest } from '../helpers/owed-digest.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
const RUN_CREATED = 'digest run created; its recipients are queued in ranges';

/** A schema with a fresh column, 3 subscribers and a run two days ago: a scheduler starting owes the digest a run. */
async function owedDigest(name: string) {
  const { schema, databaseUrl, config } = await seedOwedDigest(
    dir,
    name,
    ['a', 'b', 'c'].map((reader) => `${reader}@example.org`),
  );
  const store = await createPostgresStore(databaseUrl);
  onTestFinished(() => store.close());

  const admin = new pg.Client({ connectionString: inject('postgresUrl') });
  await admin.connect();
  onTestFinished(() => admin.end());
  const env = {
    COLUMNWIRE_DATABASE_URL: databaseUrl,
    COLUMNWIRE_QUEUE_SCHEMA: `${schema}_jobs`,
    COLUMNWIRE_CLUSTER_TICK_SECONDS: '1',
    SMTP_URL: 'smtp://127.0.0.1:1',
  };
  return {
    store,
    admin,
    scheduler: (process: string) => startService(config, join(dir, `${name}-${process}`), env, ['run', '--roles', 'scheduler']),
    /** Holds every run insert (the lock a run's creation waits for) until `release`. */
    async holdRunInserts() {
      await admin.query('BEGIN');
      await admin.query(`LOCK TABLE ${schema}.digest_runs IN SHARE MODE`);
      return { release: () => admin.query('ROLLBACK') };
    },
    /** The backend of a scheduler waiting at its run insert. */
    async waitingInsert(): Promise<number> {
      for (;;) {
        const { rows } = await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE relation = '${schema}.digest_runs'::regclass AND NOT granted`,
        );
        if (rows[0]) return rows[0].pid;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    /** Resolves once `count` more digest sweeps have begun (each is one tick, claimed by one scheduler). */
    async sweeps(count: number) {
      const read = async () =>
        Number(
          (await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.schedule_ticks WHERE job = 'digest-sweep'`)).rows[0]!.n,
        );
      const until = (await read()) + count;
      while ((await read()) < until) await new Promise((resolve) => setTimeout(resolve, 100));
    },
  };
}

/** The log line of the owed run, made within ten ticks (a sweep makes it two ticks after its minute at the latest). */
async function owedRun(digest: Awaited<ReturnType<typeof owedDigest>>, scheduler: RunningService) {
  const tenTicks = digest.sweeps(10).then(() => {
    throw new Error('ten ticks went by and no scheduler made the run owed for the minute');
  });
  return Promise.race([scheduler.waitForLog(message(RUN_CREATED), 'the owed run was made'), tenTicks]);
}

describe("a digest's scheduled minute in cluster mode", () => {
  it('gets its run from another scheduler when the one that claimed it was killed before making it', async () => {
    const digest = await owedDigest('killed');
    const held = await digest.holdRunInserts();
    const first = digest.scheduler('s1');
    await digest.waitingInsert(); // its start-up catch-up claimed the minute and is making the run
    first.child.kill('SIGKILL');
    await first.exited;
    await held.release();

    const second = digest.scheduler('s2');
    const created = await owedRun(digest, second);
    const runs = await digest.store.listDigestRuns('daily', 10);
    expect(runs).toHaveLength(2);
    expect(created.runId).toBe(runs[0]!.id);
    expect((await digest.store.deliveries(runs[0]!.id)).map((delivery) => delivery.address)).toEqual([
      'a@example.org',
      'b@example.org',
      'c@example.org',
    ]);
    // Ticks go on: none makes a second run for that minute.
    await digest.sweeps(3);
    expect(await digest.store.listDigestRuns('daily', 10)).toHaveLength(2);
  }, 60_000);

  it('gets its run from the same scheduler when PostgreSQL cut the first attempt off', async () => {
    const digest = await owedDigest('cut-off');
    const held = await digest.holdRunInserts();
    const scheduler = digest.scheduler('s1');
    await digest.admin.query('SELECT pg_terminate_backend($1)', [await digest.waitingInsert()]);
    await scheduler.waitForLog(message('scheduler job failed; the next tick tries again'), 'the attempt failed');
    await held.release();

    await owedRun(digest, scheduler);
    await digest.sweeps(3);
    expect(await digest.store.listDigestRuns('daily', 10)).toHaveLength(2);
    expect(scheduler.child.exitCode).toBeNull();
  }, 60_000);
});
