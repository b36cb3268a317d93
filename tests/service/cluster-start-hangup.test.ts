/**
 * SIGHUP's default action kills a process. A cluster process installed its handler only once
 * the database was migrated and pg-boss started, so a config push (`kill -HUP`) landing during
 * a slow start-up (a migration, a busy server) killed it. The start is held here at the
 * migration by the test taking the migration lock first, in a database of the test's own
 * (advisory locks are per database, so no other test waits on it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { expect, inject, it, onTestFinished } from 'vitest';
import { message, startService } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
/** src/storage/postgres/database.ts's MIGRATION_LOCK. */
const MIGRATION_LOCK = 7_243_651;

it('a cluster process ignores SIGHUP while it starts, then starts', async () => {
  const adminUrl = inject('postgresUrl');
  const name = `columnwire_hup_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  onTestFinished(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${name}`;
  const holder = new pg.Client({ connectionString: databaseUrl.href });
  await holder.connect();
  onTestFinished(() => holder.end());
  await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);

  const config = join(dir, 'feeds.yaml');
  writeFileSync(config, 'server:\n  port: 0\nfeeds: []\n');
  const worker = startService(config, join(dir, 'data'), { COLUMNWIRE_DATABASE_URL: databaseUrl.href }, ['run', '--roles', 'worker']);
  // Waiting for the lock: inside its start-up, past Node's own.
  for (;;) {
    const waiting = await holder.query(`SELECT 1 FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))`);
    if (waiting.rowCount) break;
    if (worker.child.exitCode !== null) throw new Error(`the worker exited: ${worker.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  worker.child.kill('SIGHUP');
  await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  await worker.waitForLog(message('columnwire started'), 'the worker started after the SIGHUP');
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
}, 60_000);
