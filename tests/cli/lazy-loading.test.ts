/**
 * Each command loads only the libraries it uses (issue 11): the compiled program is split per
 * command, and the composition root imports the HTTP server, metrics, MJML and the mailer only
 * when asked. A resolve hook in the child records every package it loads.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const RECORD = `--import=${fileURLToPath(new URL('../helpers/record-packages.mjs', import.meta.url))}`;
const dir = makeTempDir();
let server: Server;
let runs = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(`<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>
<item><title>A column</title><link>https://columnist.example.com/1</link><description>&lt;p&gt;Text&lt;/p&gt;</description></item></channel></rss>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.xml`;
  writeFileSync(join(dir, 'feeds.yaml'), `poll:\n  allowPrivateAddresses: true\nfeeds:\n  - url: ${url}\n    id: local\n`);
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Runs `columnwire ...args` and returns the packages it loaded (by name) and its exit code. */
async function packagesOf(args: string[]): Promise<{ code: number | null; packages: Set<string> }> {
  const file = join(dir, `packages-${++runs}.txt`);
  const result = await runCli(['--config', join(dir, 'feeds.yaml'), '--data', join(dir, 'data'), ...args], {
    env: { NODE_OPTIONS: RECORD, RECORD_PACKAGES_FILE: file },
  });
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const names = lines.map((specifier) =>
    specifier
      .split('/')
      .slice(0, specifier.startsWith('@') ? 2 : 1)
      .join('/'),
  );
  return { code: result.code, packages: new Set(names) };
}

const HTTP_SERVER = ['feed', 'prom-client', 'sanitize-html'];
const DIGESTS = ['mjml', 'nodemailer'];
const POSTGRES = ['pg', 'pg-boss'];

describe('what each command loads', () => {
  it('--version loads no package at all', async () => {
    const { code, packages } = await packagesOf(['--version']);
    expect(code).toBe(0);
    expect([...packages]).toEqual([]);
  });

  it('poll fetches and stores without the HTTP server, metrics, MJML, the mailer or PostgreSQL', async () => {
    const { code, packages } = await packagesOf(['poll']);
    expect(code).toBe(0);
    expect(packages).toContain('better-sqlite3');
    // Feeds are fetched with Node's own HTTP client: no undici, whose parser each process compiles.
    for (const name of [...HTTP_SERVER, ...DIGESTS, ...POSTGRES, 'undici']) expect(packages, name).not.toContain(name);
  });

  it('stats reads the database without the parser, the HTTP server, MJML, the mailer or PostgreSQL', async () => {
    const { code, packages } = await packagesOf(['stats']);
    expect(code).toBe(0);
    expect(packages).toContain('better-sqlite3');
    for (const name of ['rss-parser', ...HTTP_SERVER, ...DIGESTS, ...POSTGRES]) expect(packages, name).not.toContain(name);
  });

  it('export builds the merged feed without MJML, the mailer or metrics', async () => {
    const { code, packages } = await packagesOf(['export']);
    expect(code).toBe(0);
    expect(packages).toContain('feed');
    for (const name of ['prom-client', ...DIGESTS, ...POSTGRES]) expect(packages, name).not.toContain(name);
  });
});
