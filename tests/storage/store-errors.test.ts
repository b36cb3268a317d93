/**
 * Which store errors leave work for later rather than failing it (isStoreBusy,
 * isStoreUnavailable), read off real errors: PostgreSQL ending a connection (as a restart or a
 * failover does), a refused connection, and errors that are the work's own. And what the poll
 * boundary does with them: a feed whose save met PostgreSQL restarting is not recorded as failed
 * (that used to put it off for an hour, its error shown as the feed's: the scale bench's
 * PostgreSQL restart found it).
 */
import pg from 'pg';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { openPostgres } from '../../src/storage/postgres/database.ts';
import { isStoreBusy, isStoreTransient, isStoreUnavailable } from '../../src/storage/store.ts';
import { closedPortUrl, serveBody, serveForTest } from '../helpers/feed-server.ts';
import { rssFeed, startPollApp } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();

async function connect(url = inject('postgresUrl')): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // a connection ended under it is what these tests do
  await client.connect();
  onTestFinished(() => client.end().catch(() => {}));
  return client;
}

const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

describe('store errors', () => {
  it('tells a connection PostgreSQL ended or refused from an error of the work itself', async () => {
    const admin = await connect();
    const victim = await connect();
    const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const inFlight = rejection(victim.query('SELECT pg_sleep(30)'));
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const ended = await inFlight;
    const afterwards = await rejection(victim.query('SELECT 1'));
    const refused = await rejection(
      (async () => {
        const client = new pg.Client({ connectionString: (await closedPortUrl('/db')).replace(/^http:/, 'postgres:') });
        await client.connect();
      })(),
    );
    const syntax = await rejection(admin.query('SELEC 1'));
    const division = await rejection(admin.query(`SELECT 1/0`));

    expect((ended as { code?: string }).code).toBe('57P01');
    for (const error of [ended, afterwards, refused]) {
      expect(isStoreUnavailable(error), String(error)).toBe(true);
      expect(isStoreTransient(error)).toBe(true);
      expect(isStoreBusy(error)).toBe(false);
    }
    for (const error of [syntax, division, new Error('disk full'), null, undefined, 'text']) {
      expect(isStoreUnavailable(error), String(error)).toBe(false);
      expect(isStoreTransient(error)).toBe(false);
    }
    expect(isStoreTransient(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toBe(true);
    // Opening the store wraps what failed (PostgresError, its cause): the cause decides.
    const down = (await closedPortUrl('/db')).replace(/^http:/, 'postgres:');
    const opening = await rejection(openPostgres(down));
    expect(String(opening)).toMatch(/cannot use the PostgreSQL database/);
    expect(isStoreUnavailable(opening)).toBe(true);
    // A database that does not exist, a wrong password: retrying cannot help.
    const missing = await rejection(
      openPostgres(Object.assign(new URL(inject('postgresUrl')), { pathname: '/no_such_database_here' }).href),
    );
    expect(isStoreUnavailable(missing)).toBe(false);
    expect(isStoreUnavailable({ code: '28P01' })).toBe(false);
    // Out of connection slots (a fleet reconnecting at once), a host gone from DNS while its container restarts.
    for (const code of ['53300', 'ENOTFOUND', 'EAI_AGAIN']) expect(isStoreUnavailable({ code }), code).toBe(true);
    expect(isStoreUnavailable({ code: '57P04' })).toBe(false); // the database was dropped: not coming back
  });

  it('leaves a feed whose save met PostgreSQL restarting for the next cycle, recording no failure on it', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(rssFeed('herald')) });
    const poller = await startPollApp({ dataRoot, feeds: { herald: server.url('/feed.xml') } });
    const { store } = poller.app.poll;
    const before = await poller.feed('herald');
    // What node-postgres raises when the server goes down under a save.
    const restarting = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    poller.app.poll.store = { ...store, saveFetched: () => Promise.reject(restarting) };

    const outcome = await poller.pollOne('herald');

    expect(outcome).toMatchObject({ kind: 'skipped', reason: 'busy' });
    expect(await poller.feed('herald')).toMatchObject({
      lastError: null,
      consecutiveErrors: 0,
      nextFetchAt: before.nextFetchAt,
    });
    poller.app.poll.store = store;
    expect(await poller.pollOne('herald')).toMatchObject({ kind: 'stored', added: 2 });
  });
});
