/**
 * `columnwire migrate --to` killed with SIGKILL while it writes to PostgreSQL (4,000 stories, seen
 * inserting in pg_stat_activity, so the kill lands inside the copy's transaction), then run again:
 * the killed copy left nothing behind (README: "it ends with the whole copy or as it was"), and
 * the rerun copies everything, then a third run finds the copy unchanged.
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { freshDatabase } from '../helpers/fresh-database.ts';
import { CLI, runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { untilWithin } from '../helpers/until.ts';

const root = makeTempDir();
const STORIES = 4_000;

const until = untilWithin(30_000, 'migrate test', 50);

describe('columnwire migrate --to, killed mid-copy', () => {
  it('leaves PostgreSQL as it was, and a rerun copies everything', async () => {
    const installation = await startDigestApp({ root, digests: '  - id: d\n    to: [a@example.org]\n' });
    await installation.save(
      'jane',
      Array.from({ length: STORIES }, (_, index) => column(`j${index}`, DIGEST_NOW, 1 + index / 100)),
    );
    await installation.app.store.addSubscribers('d', [{ address: 'sub@example.org', name: 'Sub' }], DIGEST_NOW);
    await installation.run('d', null);
    await installation.app.close();
    const database = await freshDatabase();
    const args = ['--config', installation.configPath, '--data', installation.dataDir, 'migrate', '--to', database.url];

    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const first = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
      const exited = new Promise((resolve) => first.once('exit', resolve));
      // Killed once it writes rows (thousands of stories: the copy takes a while).
      const writing = () =>
        db
          .query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle' AND query ILIKE '%INSERT INTO stories %'`,
          )
          .then((r) => r.rowCount ?? 0);
      await until(writing, (count) => count >= 1, 'the copy writing stories');
      first.kill('SIGKILL');
      await exited;
      const rows = () => db.query<{ n: number }>(`SELECT count(*)::int AS n FROM stories`).then((r) => r.rows[0]!.n);
      expect(await rows()).toBe(0);

      const rerun = await runCli(args);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(await rows()).toBe(STORIES);
      const deliveries = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM digest_deliveries`);
      expect(deliveries.rows[0]!.n).toBeGreaterThan(0);
      const third = await runCli(args);
      expect(third.code, third.stderr).toBe(0);
      expect(await rows()).toBe(STORIES);
    } finally {
      await db.end();
    }
  }, 60_000);
});
