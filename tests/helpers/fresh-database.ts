/**
 * A PostgreSQL database of one test's own, on the run's server, dropped after the test: for the
 * cluster tests that terminate every connection to it (pg_terminate_backend by datname) without
 * touching the other test files' schemas in the run's shared database.
 */
import pg from 'pg';
import { inject, onTestFinished } from 'vitest';

export interface FreshDatabase {
  /** postgres://…/NAME */
  url: string;
  name: string;
  /** Ends every session on the database but the caller's; resolves with how many. */
  terminateSessions(): Promise<number>;
}

let made = 0;

/** Creates the database; it is dropped (WITH FORCE) when the test finishes. */
export async function freshDatabase(): Promise<FreshDatabase> {
  const adminUrl = new URL(inject('postgresUrl'));
  adminUrl.pathname = '/postgres';
  const name = `cw_fresh_${process.pid}_${made++}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl.href });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  onTestFinished(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
  });
  const url = new URL(adminUrl.href);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    name,
    async terminateSessions() {
      const ended = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [name],
      );
      return ended.rowCount ?? 0;
    },
  };
}
