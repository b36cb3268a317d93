/**
 * The PostgreSQL connection pool (the only importer of pg), transactions, and the migration
 * runner. Times are BIGINT milliseconds and ids BIGINT, like the SQLite schema, read back as
 * JavaScript numbers, so one set of row mappers (rows.ts) serves both backends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { redactSecretParts, redactUrl } from '../../redact.ts';
import type { Listener } from '../store.ts';
import { CONNECTION_SETTINGS, IDLE_IN_TRANSACTION_MS } from './connection-settings.ts';
import { postgresMigrations } from './migrations.ts';

/** Something SQL runs on: the pool (each statement on its own) or a transaction's client. */
export interface Sql {
  /** The rows `text` returns. */
  query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** How many rows `text` changed. */
  run(text: string, params?: readonly unknown[]): Promise<number>;
}

export interface PostgresDatabase extends Sql {
  /** Runs `body` in one transaction (READ COMMITTED), committing when it resolves, rolling back when it throws. */
  transaction<T>(body: (tx: Sql) => Promise<T>): Promise<T>;
  /** LISTENs on `channel` over a connection of its own: see listenOn. */
  listen(channel: string, onNotify: (payload: string) => void, onConnect: () => void, onLost?: (error: Error | null) => void): Listener;
  close(): Promise<void>;
}

/** A lost LISTEN connection is made again after this long, doubling up to RELISTEN_MAX_MS. */
const RELISTEN_FIRST_MS = 1_000;
const RELISTEN_MAX_MS = 10_000;
/**
 * How often a LISTEN connection proves the server still answers, and how long it waits for the
 * answer. A server gone silent (a partition, a VM paused, a NAT that forgot the connection)
 * sends no error: TCP keepalive alone notices it only after about 11 minutes, during which
 * every notification is lost.
 */
const LISTEN_CHECK_MS = 15_000;
/** How long closing a listener waits for its connection to end (one still being made ends only at its connection timeout). */
const LISTEN_CLOSE_MS = 1_000;

/** The database cannot be reached or migrated. */
export class PostgresError extends Error {
  override name = 'PostgresError';
}

/**
 * The schema holds tables columnwire did not make (another application's, in a database named
 * by mistake), and no columnwire schema: with `foreignTables: 'refuse'`, nothing is created there.
 */
export class ForeignTablesError extends PostgresError {
  override name = 'ForeignTablesError';
  constructor(readonly tables: readonly string[]) {
    super(`storage: the schema holds tables columnwire did not make (${tables.join(', ')})`);
  }
}

/** Key of the session-level advisory lock two processes migrating at once take in turn. */
const MIGRATION_LOCK = 7_243_651;

// BIGINT (int8) as a JavaScript number: ids and millisecond times stay far below 2^53.
const INT8_OID = 20;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string): number => Number(value)
      : (pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

function sqlOver(client: pg.Pool | pg.PoolClient): Sql {
  return {
    query: async <Row>(text: string, params: readonly unknown[] = []) => (await client.query(text, [...params])).rows as Row[],
    run: async (text: string, params: readonly unknown[] = []) => (await client.query(text, [...params])).rowCount ?? 0,
  };
}

/** Connects to `url` (a pool of at most `maxConnections`) and migrates the schema. */
export async function openPostgres(
  url: string,
  options: { maxConnections?: number; idleInTransactionMs?: number; foreignTables?: 'refuse'; listenCheckMs?: number } = {},
): Promise<PostgresDatabase> {
  const listenCheckMs = options.listenCheckMs ?? LISTEN_CHECK_MS;
  const pool = new pg.Pool({
    ...CONNECTION_SETTINGS,
    idle_in_transaction_session_timeout: options.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS,
    connectionString: url,
    max: options.maxConnections ?? 10,
    types,
    application_name: 'columnwire',
  });
  // An idle client whose server went away (a restart) errors here; the pool drops it and the
  // next query connects anew. Without a listener the error would crash the process.
  pool.on('error', () => {});
  try {
    await migrate(pool, options.foreignTables === 'refuse');
  } catch (cause) {
    await pool.end().catch(() => {});
    if (cause instanceof ForeignTablesError) throw cause;
    const reason = redactSecretParts(cause instanceof Error ? cause.message : String(cause), url);
    throw new PostgresError(
      `storage: cannot use the PostgreSQL database ${redactUrl(url)}: ${reason}; check the URL (COLUMNWIRE_DATABASE_URL or database: in the config) and that the server is up`,
      { cause },
    );
  }
  const sql = sqlOver(pool);
  return {
    ...sql,
    async transaction(body) {
      const client = await pool.connect();
      const lost = watchConnection(client);
      try {
        await client.query('BEGIN');
        const result = await body(sqlOver(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        lost.stop();
        // A connection the server dropped is closed, not handed to the next transaction.
        client.release(lost.error);
      }
    },
    listen: (channel, onNotify, onConnect, onLost) => listenOn(url, channel, onNotify, onConnect, onLost, listenCheckMs),
    close: () => pool.end(),
  };
}

/**
 * LISTENs on `channel` (PostgreSQL's LISTEN/NOTIFY) over a connection of its own, outside the
 * pool, for as long as the process wants wake-ups: `onNotify` gets each notification's payload,
 * `onConnect` runs after each (re)connection, since what was notified while it was down is lost
 * and must be looked for. The server going away (a restart, pg_terminate_backend) is no error:
 * the connection is made again 1 s later, then up to 10 s apart while it fails. Every
 * `checkMs` it LISTENs again (a no-op that needs the server's answer); no answer within
 * `checkMs` counts as a lost connection.
 */
function listenOn(
  url: string,
  channel: string,
  onNotify: (payload: string) => void,
  onConnect: () => void,
  onLost: (error: Error | null) => void = () => {},
  checkMs: number = LISTEN_CHECK_MS,
): Listener {
  let client: pg.Client | null = null;
  let listening = false;
  // Told once per loss: when a connection that listened is lost, or the first one fails.
  let told = false;
  let closed = false;
  let retryMs = RELISTEN_FIRST_MS;
  let retry: NodeJS.Timeout | null = null;
  let check: NodeJS.Timeout | null = null;
  const connect = async () => {
    retry = null;
    const next = new pg.Client({ ...CONNECTION_SETTINGS, connectionString: url, application_name: 'columnwire-listen' });
    client = next;
    const lost = (error?: unknown) => {
      if (client !== next) return;
      if (check) clearInterval(check);
      check = null;
      if (!told && !closed) onLost(error instanceof Error ? error : null);
      told = true;
      listening = false;
      client = null;
      void next.end().catch(() => {});
      if (!closed) retry = setTimeout(() => void connect(), retryMs).unref();
      retryMs = Math.min(retryMs * 2, RELISTEN_MAX_MS);
    };
    next.on('error', lost);
    next.on('end', lost);
    next.on('notification', (message) => onNotify(message.payload ?? ''));
    try {
      await next.connect();
      await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (closed || client !== next) return void (await next.end().catch(() => {}));
      listening = true;
      told = false;
      retryMs = RELISTEN_FIRST_MS;
      check = setInterval(() => void answers(next, channel, checkMs).then((answered) => answered || lost(silentFor(checkMs))), checkMs);
      check.unref();
      onConnect();
    } catch (error) {
      lost(error);
    }
  };
  void connect();
  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      listening = false;
      if (retry) clearTimeout(retry);
      if (check) clearInterval(check);
      const open = client;
      client = null;
      // A connection still being made to a server that accepts and answers nothing (a pooler
      // whose server is down) ends only at connectionTimeoutMillis (30 s): a stopping process
      // does not wait for it (the process exits; else the timeout ends it).
      if (open) await Promise.race([open.end().catch(() => {}), sleep(LISTEN_CLOSE_MS, undefined, { ref: false })]);
    },
  };
}

/** Does the server answer a LISTEN `channel` (already listened: a no-op) within `withinMs`? */
async function answers(client: pg.Client, channel: string, withinMs: number): Promise<boolean> {
  const answer = client.query(`LISTEN ${pg.escapeIdentifier(channel)}`).then(
    () => true,
    () => true, // an error, or the connection's end, is told by its own 'error' and 'end' events
  );
  return Promise.race([answer, sleep(withinMs, false, { ref: false })]);
}

function silentFor(ms: number): Error {
  return new Error(`the server did not answer for ${Math.round(ms / 1000)} s`);
}

/**
 * Applies the migrations this database lacks, each in its own transaction, under an advisory
 * lock: two processes starting on a new database at once apply each migration once.
 */
async function migrate(pool: pg.Pool, refuseForeignTables: boolean): Promise<void> {
  const client = await pool.connect();
  const lost = watchConnection(client);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    if (refuseForeignTables) await checkNoForeignTables(client);
    await client.query('CREATE TABLE IF NOT EXISTS columnwire_schema (version INTEGER NOT NULL)');
    const current =
      (await client.query<{ version: number }>('SELECT max(version) AS version FROM columnwire_schema')).rows[0]?.version ?? 0;
    const latest = postgresMigrations.at(-1)!.version;
    if (current > latest) {
      throw new Error(`its schema version ${current} is newer than this columnwire knows (${latest}); upgrade columnwire`);
    }
    for (const migration of postgresMigrations.filter((candidate) => candidate.version > current)) {
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO columnwire_schema (version) VALUES ($1)', [migration.version]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    lost.stop();
    client.release(lost.error);
  }
}

/** Throws ForeignTablesError when the schema tables are created in holds tables but no columnwire_schema. */
async function checkNoForeignTables(client: pg.PoolClient): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname`,
  );
  const names = rows.map((row) => row.name);
  if (names.length > 0 && !names.includes('columnwire_schema')) throw new ForeignTablesError(names);
}

/**
 * Listens for `client`'s connection being lost while it is checked out of the pool. The server
 * ending it between two queries (a restart, a failover, pg_terminate_backend) is an 'error'
 * event on the client, and the pool listens only to idle ones: unheard, it would crash the
 * process. Heard, the transaction's next query fails (the client is no longer queryable) and
 * `error` tells the pool to close the connection on release.
 */
function watchConnection(client: pg.PoolClient): { readonly error: Error | undefined; stop(): void } {
  let error: Error | undefined;
  const onError = (cause: Error): void => {
    error = cause;
  };
  client.on('error', onError);
  return {
    get error() {
      return error;
    },
    stop: () => void client.off('error', onError),
  };
}
