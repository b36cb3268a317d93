/**
 * An edit of feeds.yaml while the service starts (after it read the file, before it watches it:
 * a slow migration, `feeds add` right after `docker run`) is applied once it has started, not
 * left for the next edit or SIGHUP. The start is held on PostgreSQL's migration lock, which the
 * test takes first, so the edit lands inside it every time.
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
const feed = (id: string) => [`  - url: https://${id}.example.com/feed`, `    id: ${id}`];

it('applies an edit made while the process was starting, once it has started', async () => {
  const database = await freshDatabase();
  const holder = new pg.Client({ connectionString: database.url });
  await holder.connect();
  await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);

  const config = join(dir, 'feeds.yaml');
  writeFileSync(config, ['server:', '  port: 0', 'feeds:', ...feed('jane'), ''].join('\n'));
  const service = startService(config, join(dir, 'data'), { COLUMNWIRE_DATABASE_URL: database.url }, ['run', '--roles', 'http,scheduler']);
  // Waiting for the lock: it read the file already, and watches nothing yet.
  for (;;) {
    const waiting = await holder.query(`SELECT 1 FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))`);
    if (waiting.rowCount) break;
    if (service.child.exitCode !== null) throw new Error(`the process exited: ${service.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  writeFileSync(config, ['server:', '  port: 0', 'feeds:', ...feed('jane'), ...feed('omar'), ''].join('\n'));
  await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  await holder.end();

  const started = await service.waitForLog((line) => line.msg === 'columnwire started');
  expect(started.feeds).toBe(1);
  const reloaded = await service.waitForLog(
    (line) => line.msg === 'config reloaded' || line.msg === 'config reload failed; the running config stays',
  );
  expect(reloaded).toMatchObject({ msg: 'config reloaded', feeds: 2 });
  const base = await service.url();
  const opml = await (await fetch(`${base}/opml`)).text();
  expect(opml).toContain('omar.example.com');
}, 60_000);
