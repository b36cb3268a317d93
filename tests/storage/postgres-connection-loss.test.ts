/**
 * Issue 12: the PostgreSQL server ends a connection while a transaction holds it between two
 * queries (a restart, a failover, pg_terminate_backend). node-postgres reports that as an
 * 'error' event on the checked-out client, which nothing heard: the process crashed (the scale
 * bench's PostgreSQL restart found it, both workers down). Now the transaction fails, the pool
 * closes that connection, and the next transaction works.
 */
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, inject, it, onTestFinished } from 'vitest';
import { openPostgres } from '../../src/storage/postgres/database.ts';
import { isStoreUnavailable } from '../../src/storage/store.ts';
import { postgresBackend, schemaUrl } from '../helpers/store-backends.ts';

it('fails a transaction whose connection the server ended between two queries, and carries on', async () => {
  // One connection: the transaction after must get a new one, not the dead one back.
  const db = await openPostgres(schemaUrl(await postgresBackend.newLocation()), { maxConnections: 1 });
  onTestFinished(() => db.close());
  const admin = new pg.Client({ connectionString: inject('postgresUrl') });
  await admin.connect();
  onTestFinished(() => admin.end());

  const ended = db.transaction(async (sql) => {
    const [backend] = await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await admin.query('SELECT pg_terminate_backend($1)', [backend!.pid]);
    // Gone from pg_stat_activity: its last words are on our socket, read while no query runs.
    while ((await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backend!.pid])).rowCount) await sleep(10);
    await sleep(50);
    return sql.query('SELECT 1 AS one');
  });

  await expect(ended).rejects.toThrow(/not queryable|terminat/i);
  await expect(db.transaction((sql) => sql.query('SELECT 2 AS two'))).resolves.toEqual([{ two: 2 }]);
  await expect(db.query('SELECT 3 AS three')).resolves.toEqual([{ three: 3 }]);
});

it('ends a transaction left idle by a stalled process, freeing its locks, and reads the failure as the store unavailable', async () => {
  // A worker stopped mid-save (SIGSTOP, a paused VM) held the story lock; every other save and
  // digest queued behind it for as long as it stayed stopped.
  const location = schemaUrl(await postgresBackend.newLocation());
  const stalled = await openPostgres(location, { maxConnections: 1, idleInTransactionMs: 300 });
  onTestFinished(() => stalled.close());
  const other = await openPostgres(location, { maxConnections: 1 });
  onTestFinished(() => other.close());
  const admin = new pg.Client({ connectionString: inject('postgresUrl') });
  await admin.connect();
  onTestFinished(() => admin.end());

  let pid = 0;
  const stalledSave = stalled.transaction(async (sql) => {
    const [backend] = await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_advisory_xact_lock(4242)');
    pid = backend!.pid;
    // The process stops here: no statement follows until PostgreSQL has ended the session.
    while ((await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount) await sleep(20);
    await sleep(50);
    return sql.query('SELECT 1 AS one');
  });
  const failure = await stalledSave.then(
    () => null,
    (error: unknown) => error,
  );
  expect(failure).not.toBeNull();
  expect(isStoreUnavailable(failure)).toBe(true);
  // The lock went with the session: another process takes it at once (it would wait for ever).
  await expect(other.transaction((sql) => sql.query('SELECT pg_try_advisory_xact_lock(4242) AS got'))).resolves.toEqual([{ got: true }]);
  // And the stalled process's pool carries on with a new connection.
  await expect(stalled.query('SELECT 2 AS two')).resolves.toEqual([{ two: 2 }]);
});
