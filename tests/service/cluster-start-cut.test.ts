/**
 * The database going away while a cluster process starts: its sessions are terminated while it
 * waits to migrate (another process holds the migration lock). It must not hang or crash with
 * a trace: it exits 1 at once with one line naming the database, without its password, so a
 * supervisor restarts it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { expect, it } from 'vitest';
import { freshDatabase } from '../helpers/fresh-database.ts';
import { startService } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
/** src/storage/postgres/database.ts's MIGRATION_LOCK. */
const MIGRATION_LOCK = 7_243_651;
/** Trust authentication takes any password: it is only there to be kept out of the message. */
const PASSWORD = 'Sup3rS3cret';

it('a cluster process whose sessions are terminated while it starts exits 1, saying which database', async () => {
  const database = await freshDatabase();
  const url = new URL(database.url);
  url.password = PASSWORD;
  const holder = new pg.Client({ connectionString: database.url });
  holder.on('error', () => {}); // terminated below with the rest
  await holder.connect();
  await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);

  const config = join(dir, 'feeds.yaml');
  writeFileSync(config, 'server:\n  port: 0\nfeeds: []\n');
  const worker = startService(config, join(dir, 'data'), { COLUMNWIRE_DATABASE_URL: url.href }, ['run', '--roles', 'http,worker']);
  // Waiting for the lock: inside its start-up.
  for (;;) {
    const waiting = await holder.query(`SELECT 1 FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))`);
    if (waiting.rowCount) break;
    if (worker.child.exitCode !== null) throw new Error(`the worker exited: ${worker.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const cut = Date.now();
  expect(await database.terminateSessions()).toBeGreaterThanOrEqual(2);
  expect(await worker.exited).toBe(1);
  expect(Date.now() - cut).toBeLessThan(15_000);
  const stderr = worker.stderr();
  expect(stderr).toMatch(
    new RegExp(`^columnwire: storage: cannot use the PostgreSQL database postgres://postgres:\\*\\*\\*@[^ ]+/${database.name}: `, 'm'),
  );
  expect(stderr).not.toContain(PASSWORD);
  expect(stderr).not.toMatch(/\n\s+at /);
}, 60_000);
