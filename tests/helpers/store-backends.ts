/**
 * The two Store backends as the contract tests use them: a fresh location (a SQLite file in a
 * temp folder; a PostgreSQL schema of its own in the run's database), stores opened on it (two
 * stores on one location are two processes), and raw SQL for the few tests that must reach past
 * the Store (written with `?` placeholders; numbered for PostgreSQL).
 */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { createPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import type { Store, StoreOptions } from '../../src/storage/store.ts';
import { makeTempDir } from './temp-dir.ts';

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /** A new, empty place to keep a store. */
  newLocation(): Promise<string>;
  /** A store on `location` (closed by the caller). */
  open(location: string, options?: StoreOptions): Promise<Store>;
  /** Runs one SQL statement on `location` outside any store; `?` placeholders. */
  exec(location: string, sql: string, params?: readonly unknown[]): Promise<void>;
}

let sqliteDir: string | null = null;
let sqliteFiles = 0;

/** SQLite: one file per location, in a temp folder removed after the test file. */
export const sqliteBackend: StoreBackend = {
  name: 'sqlite',
  newLocation: () => {
    sqliteDir ??= makeTempDir('columnwire-store-');
    return Promise.resolve(join(sqliteDir, `store-${sqliteFiles++}.db`));
  },
  open: (location, options) => Promise.resolve(createSqliteStore(location, options)),
  exec: (location, sql, params = []) => {
    const db = new BetterSqlite3(location);
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
    return Promise.resolve();
  },
};

let schemas = 0;
let admin: pg.Pool | null = null;

/** The pool this test file uses for schemas and raw SQL, ended after it. */
function adminPool(): pg.Pool {
  if (!admin) {
    admin = new pg.Pool({ connectionString: inject('postgresUrl'), max: 2 });
    afterAll(() => admin?.end());
  }
  return admin;
}

/** A URL whose connections see only `schema` (search_path), so every location is a database of its own. */
export function schemaUrl(schema: string): string {
  const url = new URL(inject('postgresUrl'));
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.href;
}

/** PostgreSQL: one schema per location in this run's database (tests/helpers/postgres-server.ts). */
export const postgresBackend: StoreBackend = {
  name: 'postgres',
  async newLocation() {
    const schema = `s_${process.pid}_${schemas++}_${Math.random().toString(36).slice(2, 8)}`;
    await adminPool().query(`CREATE SCHEMA ${schema}`);
    return schema;
  },
  open: (location, options) => createPostgresStore(schemaUrl(location), { ...options, maxConnections: 4 }),
  async exec(location, sql, params = []) {
    let index = 0;
    const client = await adminPool().connect();
    try {
      await client.query(`SET search_path = ${location}`);
      await client.query(
        sql.replace(/\?/g, () => `$${++index}`),
        [...params],
      );
    } finally {
      await client.query('RESET search_path').catch(() => {});
      client.release();
    }
  },
};

/** Both backends, for `describe.each`. */
export const storeBackends: readonly StoreBackend[] = [sqliteBackend, postgresBackend];
