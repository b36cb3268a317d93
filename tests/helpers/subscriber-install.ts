/**
 * An installation for subscriber CLI tests on either backend: feeds.yaml with two digests (daily
 * and weekly) in a temp folder, the CLI run on it as a child process, raw SQL past the CLI, and
 * stores opened on the same data.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { Store } from '../../src/storage/store.ts';
import { digestConfigYaml } from './digest-app.ts';
import { runCli } from './run-cli.ts';
import { postgresBackend, schemaUrl, sqliteBackend, type StoreBackend } from './store-backends.ts';

export interface Installation {
  dir: string;
  /** `columnwire --config … --data … subscribers ...args`. */
  cli: (...args: string[]) => ReturnType<typeof runCli>;
  /** The global options and environment `cli` runs with, for a test that starts the process itself. */
  globals: string[];
  env: Record<string, string>;
  /** One SQL statement on the installation's database, past the CLI. */
  exec: (sql: string) => Promise<void>;
  /** A store on the installation's database (closed when the test finishes). */
  open: () => Promise<Store>;
}

/** A new installation in a folder of `root` (a makeTempDir()). */
export async function installSubscribers(root: string, backend: StoreBackend): Promise<Installation> {
  const dir = mkdtempSync(join(root, `${backend.name}-`));
  const configPath = join(dir, 'feeds.yaml');
  writeFileSync(configPath, digestConfigYaml('  - id: daily\n  - id: weekly\n'));
  const dataDir = join(dir, 'data');
  const schema = backend.name === 'postgres' ? await postgresBackend.newLocation() : null;
  const env: Record<string, string> = schema === null ? {} : { COLUMNWIRE_DATABASE_URL: schemaUrl(schema) };
  const globals = ['--config', configPath, '--data', dataDir];
  const cli = (...args: string[]) => runCli([...globals, 'subscribers', ...args], { env });
  const exec = (sql: string) =>
    schema === null ? sqliteBackend.exec(join(dataDir, 'columnwire.db'), sql) : postgresBackend.exec(schema, sql);
  const open = async () => {
    const store = await backend.open(schema ?? join(dataDir, 'columnwire.db'));
    onTestFinished(() => store.close());
    return store;
  };
  return { dir, cli, globals, env, exec, open };
}
