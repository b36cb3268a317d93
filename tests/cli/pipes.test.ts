/**
 * Output through real pipes: a slow reader gets every byte (`export | gzip`, `parse --json | jq`),
 * and a reader that stops early (`export | head -1`) ends the command quietly.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { serveBody, startFeedServer } from '../helpers/feed-server.ts';
import { CLI, runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const STORIES = 600;
const dir = makeTempDir();
const feedFile = join(dir, 'big.xml');
const globals = ['--config', join(dir, 'feeds.yaml'), '--data', join(dir, 'data')];

/** RSS of `count` recent stories of about 700 bytes each: the outputs below are several hundred KiB. */
function bigFeed(count: number): string {
  const published = new Date(Date.now() - 3_600_000).toUTCString();
  const items = Array.from(
    { length: count },
    (_, i) =>
      `<item><title>Column ${i}</title><link>https://big.example/${i}</link><guid>big-${i}</guid>` +
      `<pubDate>${published}</pubDate><description>${'Words of a long column, said at length. '.repeat(15)}</description></item>`,
  );
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>${items.join('\n')}</channel></rss>`;
}

beforeAll(async () => {
  const feed = bigFeed(STORIES);
  writeFileSync(feedFile, feed);
  const server = await startFeedServer({ '/big.xml': serveBody(feed) });
  try {
    writeFileSync(
      join(dir, 'feeds.yaml'),
      `poll:\n  allowPrivateAddresses: true\nfeeds:\n  - url: ${server.url('/big.xml')}\n    id: big\n`,
    );
    const polled = await runCli([...globals, 'poll']);
    expect(polled.code, polled.stderr).toBe(0);
  } finally {
    await server.close();
  }
}, 60_000);

interface SlowRead {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI with stdout on a pipe whose reader stops at the first chunk and only reads on
 * when the child has exited or a second has passed: the pipe is full while the command ends.
 */
function readSlowly(args: string[]): Promise<SlowRead> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...globals, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    let paused = false;
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (paused) return;
      paused = true;
      child.stdout.pause();
      const resume = () => child.stdout.resume();
      const timer = setTimeout(resume, 1000);
      child.once('exit', () => (clearTimeout(timer), resume()));
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString('utf8'), stderr }));
  });
}

describe('output through a pipe', () => {
  it('reaches a slow reader whole: export of several hundred KiB', async () => {
    const result = await readSlowly(['export', '--limit', '1000']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(256 * 1024);
    expect(result.stdout.match(/<item>/g)).toHaveLength(STORIES);
    expect(result.stdout.endsWith('</rss>\n')).toBe(true);
  });

  it('reaches a slow reader whole: parse --json of a large file parses', async () => {
    const result = await readSlowly(['parse', '--json', feedFile]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(256 * 1024);
    expect((JSON.parse(result.stdout) as { items: unknown[] }).items).toHaveLength(STORIES);
  });

  it('ends quietly with exit 0 when the reader stops early (| head -c 100)', async () => {
    const status = join(dir, 'status');
    const errors = join(dir, 'errors');
    const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;
    const command = `{ ${[process.execPath, CLI, ...globals, 'export', '--limit', '1000'].map(quote).join(' ')} 2>${quote(errors)}; echo $? >${quote(status)}; } | head -c 100`;
    const shell = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(shell.stdout).toHaveLength(100);
    expect(readFileSync(errors, 'utf8')).toBe('');
    expect(readFileSync(status, 'utf8').trim()).toBe('0');
  });

  it('ends quietly with exit 0 when the reader is gone before the first write', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...globals, 'export', '--limit', '1000'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LOG_LEVEL: 'warn' },
      });
      child.stdout.destroy(); // closes the read end: every write the child makes meets EPIPE
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
