/**
 * vitest globalSetup: a PostgreSQL server for the store contract tests and the scale-out tests,
 * found in this order: env COLUMNWIRE_TEST_PG_URL; a server on 127.0.0.1:5432 (every developer
 * and CI machine runs one, trust auth); else a throwaway cluster started from the installed
 * PostgreSQL binaries in a temp folder (as the `postgres` user when run as root: initdb refuses
 * root), stopped and removed after the run. Each test run gets its own fresh database, dropped at
 * the end; tests isolate further with one schema per store (tests/helpers/store-backends.ts).
 * No server at all fails the run with what to do: the PostgreSQL half is never silently skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A database of this test run's own (postgres://…); tests make a schema each inside it. */
    postgresUrl: string;
  }
}

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await findServer();
  const database = `columnwire_test_${process.pid}_${Date.now().toString(36)}`;
  await withClient(server.adminUrl, (client) => client.query(`CREATE DATABASE ${database}`));
  const url = new URL(server.adminUrl);
  url.pathname = `/${database}`;
  project.provide('postgresUrl', url.href);
  return async () => {
    await withClient(server.adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(() => {});
    server.stop();
  };
}

async function withClient<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

async function reachable(url: string): Promise<boolean> {
  try {
    await withClient(url, (client) => client.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

async function findServer(): Promise<{ adminUrl: string; stop(): void }> {
  const fromEnv = process.env.COLUMNWIRE_TEST_PG_URL;
  if (fromEnv) {
    if (!(await reachable(fromEnv))) throw new Error(`postgres-server: COLUMNWIRE_TEST_PG_URL does not answer (${redact(fromEnv)})`);
    return { adminUrl: fromEnv, stop: () => {} };
  }
  if (await reachable(LOCAL_SERVER)) return { adminUrl: LOCAL_SERVER, stop: () => {} };
  return startThrowawayCluster();
}

/** A PostgreSQL server of a test's own: its admin URL; restart (pg_ctl restart -m fast, as an operator would) and stop. */
export interface ThrowawayCluster {
  adminUrl: string;
  restart(): void;
  stop(): void;
}

/** True when PostgreSQL's binaries are installed (what startThrowawayCluster needs). */
export function clusterBinaries(): string | undefined {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((version) => `/usr/lib/postgresql/${version}/bin`).find((dir) => existsSync(join(dir, 'initdb')));
}

/** initdb + pg_ctl from /usr/lib/postgresql/<version>/bin, in a temp folder, on a free port, listening on 127.0.0.1 only. */
export async function startThrowawayCluster(): Promise<ThrowawayCluster> {
  const bin = clusterBinaries();
  if (!bin) {
    throw new Error(
      'postgres-server: no PostgreSQL for the store tests: nothing answers on 127.0.0.1:5432, COLUMNWIRE_TEST_PG_URL is not set, ' +
        'and no initdb is installed (Debian: apt-get install postgresql; .ci/run installs it)',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'columnwire-pg-'));
  const asRoot = process.getuid?.() === 0;
  const user = asRoot
    ? {
        uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
        gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
      }
    : {};
  if (asRoot) chownSync(dir, user.uid!, user.gid!);
  const port = await freePort();
  const run = (command: string, args: string[]) => {
    const result = spawnSync(join(bin, command), args, { ...user, encoding: 'utf8', cwd: dir });
    if (result.status !== 0) throw new Error(`postgres-server: ${command} failed: ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync']);
  const options = [
    '-D',
    join(dir, 'data'),
    '-l',
    join(dir, 'log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
  ];
  run('pg_ctl', [...options, 'start']);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => run('pg_ctl', [...options, '-m', 'fast', 'restart']),
    stop() {
      spawnSync(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop'], { ...user });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
