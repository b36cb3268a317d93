import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { decodeBody } from '../../src/feeds/decode-body.ts';
import { discoverFeedLinks } from '../../src/feeds/discover-feed.ts';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import type { ParseJob, ParseOutcome } from '../../src/feeds/parse-document.ts';
import { FeedParseError, parseFeed } from '../../src/feeds/parse-feed.ts';
import { createParsePool, ParsePoolError, youngGenerationMb, type ParsePool } from '../../src/feeds/parse-pool.ts';
import { bigRss, denseRss } from '../helpers/big-feed.ts';
import { openThreadCpuClock, ownThreadStatPath } from '../../src/feeds/thread-cpu.ts';
import { loadFixtureBytes } from '../helpers/feed-fixtures.ts';
import { httpFixture } from '../helpers/feed-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const NOW = new Date('2025-06-02T12:00:00Z');
const FIXTURES = readdirSync(new URL('../fixtures/feeds/', import.meta.url)).filter((name) => /\.(xml|json|html|txt|svg)$/.test(name));

const job = (body: Uint8Array, overrides: Partial<ParseJob> = {}): ParseJob => ({
  input: { kind: 'bytes', body, contentType: null },
  url: 'https://feeds.example/feed',
  discover: false,
  normalizeAt: null,
  ...overrides,
});

/** What the same job gives on the main thread, with the functions the worker runs. */
async function inProcess(body: Uint8Array, url: string, normalizeAt: Date | null): Promise<ParseOutcome> {
  try {
    const parsed = await parseFeed(decodeBody(body, null), url);
    if (!normalizeAt) return { kind: 'parsed', parsed, droppedItems: 0 };
    const items = normalizeItems(parsed.items, normalizeAt);
    return {
      kind: 'normalized',
      format: parsed.format,
      feed: parsed.feed,
      items,
      droppedItems: 0,
      emptyItems: parsed.items.length - items.length,
    };
  } catch (cause) {
    if (cause instanceof FeedParseError) return { kind: 'failed', reason: cause.message };
    throw cause;
  }
}

describe('the parse pool: same results as parsing in-process', () => {
  let pool: ParsePool;
  beforeAll(() => void (pool = createParsePool({ workers: 2, timeoutMs: 60_000 })));
  afterAll(() => pool.close());

  it.each(FIXTURES)('parses %s exactly as decodeBody + parseFeed (+ normalizeItems) do', async (name) => {
    const body = loadFixtureBytes(name);
    const url = `https://fixtures.example/${name}`;
    expect(await pool.parse(job(body, { url }))).toEqual(await inProcess(body, url, null));
    expect(await pool.parse(job(body, { url, normalizeAt: NOW }))).toEqual(await inProcess(body, url, NOW));
  });

  it('parses decoded text as well as bytes, and skips normalizing when not asked', async () => {
    const body = loadFixtureBytes('wordpress-rss.xml');
    const expected = await inProcess(body, 'https://feeds.example/feed', null);
    expect(await pool.parse(job(body, { input: { kind: 'text', text: decodeBody(body, null) } }))).toEqual(expected);
  });

  it('moves the bytes to the worker when asked and the buffer is the body’s own; copies them otherwise', async () => {
    const owned = bigRss(50);
    expect(owned.byteLength).toBe(owned.buffer.byteLength);
    const moved = await pool.parse(job(owned, { input: { kind: 'bytes', body: owned, contentType: null, transfer: true } }));
    expect(moved.kind === 'parsed' && moved.parsed.items.length).toBeGreaterThan(0);
    expect(owned.byteLength).toBe(0);
    // A small Buffer is a slice of Node's shared pool: moving it would empty its neighbours.
    const pooled = Buffer.from('<rss version="2.0"><channel><title>T</title><item><title>A</title></item></channel></rss>');
    expect(pooled.byteLength).toBeLessThan(pooled.buffer.byteLength);
    const copied = await pool.parse(job(pooled, { input: { kind: 'bytes', body: pooled, contentType: null, transfer: true } }));
    expect(copied.kind === 'parsed' && copied.parsed.items.length).toBe(1);
    expect(pooled.byteLength).toBeGreaterThan(0);
    // Bytes moved once are gone: the same body again is an empty document at once (postMessage
    // drops a message whose transfer list holds a moved buffer, without an error).
    const again = await pool.parse(job(owned, { input: { kind: 'bytes', body: owned, contentType: null, transfer: true } }));
    expect(again).toEqual({ kind: 'failed', reason: 'not a feed: the document is empty' });
  });

  it('answers an HTML page with the feed links it advertises when asked to discover', async () => {
    const page = httpFixture('page-with-feed-link.html');
    const url = 'https://columns.example/jane/';
    const outcome = await pool.parse(job(page, { url, discover: true, input: { kind: 'bytes', body: page, contentType: 'text/html' } }));
    expect(outcome).toEqual({ kind: 'html', feedLinks: discoverFeedLinks(decodeBody(page, 'text/html'), url) });
    expect(outcome.kind === 'html' && outcome.feedLinks.length).toBeGreaterThan(0);
  });
});

describe('the parse pool: limits', () => {
  it('fails a job past its deadline as that feed’s failure, replaces the worker and keeps working', async () => {
    const pool = createParsePool({ workers: 1, timeoutMs: 100 });
    onTestFinished(() => pool.close());
    // About 9 MB of tiny items: over a second of CPU on any machine, against a 0.1 s budget.
    expect(await pool.parse(job(denseRss(150_000)))).toEqual({
      kind: 'failed',
      reason: 'parse took longer than 0.1 s (poll.parseTimeoutSeconds); the feed is too large or hostile',
    });
    expect(pool.stats()).toMatchObject({ threads: 0, busy: 0, started: 1 });
    // A reload gives a new budget; the next job gets a new worker.
    pool.configure({ workers: 1, timeoutMs: 30_000 });
    const outcome = await pool.parse(job(loadFixtureBytes('wordpress-rss.xml')));
    expect(outcome.kind).toBe('parsed');
    expect(pool.stats()).toMatchObject({ threads: 1, started: 2 });
  });

  it('runs a job that waited behind one past its deadline on the new worker, with its bytes intact', async () => {
    const pool = createParsePool({ workers: 1, timeoutMs: 100 });
    onTestFinished(() => pool.close());
    const small = loadFixtureBytes('wordpress-rss.xml');
    await pool.warmUp();
    // The first runs at once and moves its bytes; the second waits in the same worker, a copy.
    const stuck = pool.parse(
      job(denseRss(150_000), { input: { kind: 'bytes', body: denseRss(150_000), contentType: null, transfer: true } }),
    );
    const waiting = pool.parse(job(small, { input: { kind: 'bytes', body: new Uint8Array(small), contentType: null, transfer: true } }));
    expect(pool.stats()).toMatchObject({ threads: 1, busy: 1, queued: 1 });
    expect(await stuck).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/^parse took longer than 0\.1 s/) });
    expect(await waiting).toEqual(await inProcess(small, 'https://feeds.example/feed', null));
    expect(pool.stats()).toMatchObject({ threads: 1, busy: 0, queued: 0, started: 2 });
  });

  it('hands a worker its next job while it runs one, and answers each job with its own outcome, in order', async () => {
    const pool = createParsePool({ workers: 1, timeoutMs: 60_000 });
    onTestFinished(() => pool.close());
    await pool.warmUp();
    const bodies = FIXTURES.filter((name) => name.endsWith('.xml'))
      .slice(0, 6)
      .map((name) => [name, loadFixtureBytes(name)] as const);
    const outcomes = bodies.map(([name, body]) => pool.parse(job(body, { url: `https://fixtures.example/${name}` })));
    // One runs, one waits in the worker, the rest in the pool's queue.
    expect(pool.stats()).toMatchObject({ threads: 1, busy: 1, queued: bodies.length - 1, peakBusy: 1 });
    for (const [index, [name, body]] of bodies.entries()) {
      expect(await outcomes[index]).toEqual(await inProcess(body, `https://fixtures.example/${name}`, null));
    }
  });

  it.runIf(process.platform === 'linux')('starts a waiting job’s budget when the job before it ends, not when it was sent', async () => {
    const pool = createParsePool({
      workers: 1,
      timeoutMs: 300,
      workerUrl: new URL('../helpers/crashing-parse-worker.mjs', import.meta.url),
    });
    onTestFinished(() => pool.close());
    await pool.warmUp();
    const busy = (text: string) => job(Buffer.alloc(0), { input: { kind: 'text', text } });
    // The first spends 200 ms of CPU, the second 150 ms and then idles past the first check of
    // its 0.3 s budget: each ends with its own outcome (not a feed). Counted from when it was
    // sent, while the first ran, the second would have spent 350 ms.
    const [first, second] = await Promise.all([pool.parse(busy('spin:200')), pool.parse(busy('spin:150,sleep:500'))]);
    expect(first).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/^not a feed/) });
    expect(second).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/^not a feed/) });
    expect(pool.stats()).toMatchObject({ started: 1 });
    // A job that would spend 3 s of CPU is stopped at the budget (however late a loaded machine checks).
    expect(await pool.parse(busy('spin:3000'))).toMatchObject({ reason: expect.stringMatching(/^parse took longer than 0\.3 s/) });
  });

  it.each([
    ['throws an uncaught error', 'crash', /^parse worker crashed \(boom inside the worker\); the feed is too large or hostile$/],
    ['exits', 'exit', /^parse worker crashed \(exit code 3\); the feed is too large or hostile$/],
  ])('fails a job whose worker %s as that feed’s failure, and keeps working', async (_what, text, reason) => {
    const pool = createParsePool({
      workers: 1,
      timeoutMs: 60_000,
      workerUrl: new URL('../helpers/crashing-parse-worker.mjs', import.meta.url),
    });
    onTestFinished(() => pool.close());
    const small = loadFixtureBytes('wordpress-rss.xml');
    expect((await pool.parse(job(small))).kind).toBe('parsed');
    expect(await pool.parse(job(small, { input: { kind: 'text', text } }))).toEqual({
      kind: 'failed',
      reason: expect.stringMatching(reason),
    });
    expect((await pool.parse(job(small))).kind).toBe('parsed');
    expect(pool.stats()).toMatchObject({ threads: 1, started: 2 });
  });

  it.runIf(process.platform === 'linux')('counts the CPU a job spends, not the time its thread waits (Linux)', async () => {
    const pool = createParsePool({
      workers: 1,
      timeoutMs: 200,
      workerUrl: new URL('../helpers/crashing-parse-worker.mjs', import.meta.url),
    });
    onTestFinished(() => pool.close());
    // 1.5 s of wall-clock time but no CPU: the job ends with its own outcome, not the 0.2 s deadline.
    expect(await pool.parse(job(Buffer.alloc(0), { input: { kind: 'text', text: 'sleep:1500' } }))).toEqual({
      kind: 'failed',
      reason: expect.stringMatching(/^not a feed/),
    });
    expect(pool.stats()).toMatchObject({ started: 1 });
  });

  it.runIf(process.platform === 'linux')(
    'reads a thread’s CPU time from /proc through its stat file kept open, until the thread ends',
    async () => {
      const path = ownThreadStatPath();
      expect(path).toMatch(/^\/proc\/\d+\/task\/\d+\/stat$/);
      const clock = openThreadCpuClock(path!)!;
      onTestFinished(() => clock.close());
      const before = clock.readMs()!;
      const startedMs = performance.now();
      // Busy until the thread has used 100 ms of CPU: however long the machine makes that take.
      while (clock.readMs()! - before < 100 && performance.now() - startedMs < 20_000);
      const spentMs = clock.readMs()! - before;
      expect(spentMs).toBeGreaterThanOrEqual(100);
      // A thread cannot use more CPU than time passed, give or take a 10 ms tick at each reading
      // (a run here read 100 ms of CPU over 89.4 ms).
      expect(spentMs).toBeLessThanOrEqual(performance.now() - startedMs + 20);
      // Another thread's, read from here; unreadable once it has ended, and after close.
      const worker = new Worker(
        `require('node:worker_threads').parentPort.postMessage(require('node:fs').readlinkSync('/proc/thread-self'))`,
        {
          eval: true,
        },
      );
      const other = openThreadCpuClock(`/proc/${await once(worker, 'message').then(([link]) => String(link))}/stat`)!;
      expect(other.readMs()).toEqual(expect.any(Number));
      await once(worker, 'exit');
      expect(other.readMs()).toBeNull();
      other.close();
      other.close();
      expect(other.readMs()).toBeNull();
      expect(openThreadCpuClock('/proc/nonexistent/stat')).toBeNull();
    },
  );

  it('starts threads only as jobs need them and never more than `workers`', async () => {
    const pool = createParsePool({ workers: 3, timeoutMs: 60_000 });
    onTestFinished(() => pool.close());
    expect(pool.stats()).toMatchObject({ threads: 0, started: 0 });
    const small = loadFixtureBytes('wordpress-rss.xml');
    await pool.parse(job(small));
    expect(pool.stats()).toMatchObject({ threads: 1, started: 1 });
    // Six at once: three threads, all started now (each takes jobs as soon as it is ready).
    const first = Array.from({ length: 6 }, () => pool.parse(job(small)));
    expect(pool.stats()).toMatchObject({ threads: 3, started: 3 });
    await Promise.all(first);
    await pool.warmUp();
    expect(pool.stats()).toMatchObject({ threads: 3, ready: 3, started: 3 });
    // All three are ready and idle now: six more jobs run three at a time, on the same threads.
    const body = bigRss(500);
    const second = Array.from({ length: 6 }, () => pool.parse(job(body)));
    expect(pool.stats()).toMatchObject({ threads: 3, busy: 3, queued: 3, started: 3, peakBusy: 3 });
    for (const outcome of await Promise.all(second)) expect(outcome.kind === 'parsed' && outcome.parsed.items.length).toBe(500);
    expect(pool.stats()).toMatchObject({ threads: 3, busy: 0, queued: 0, started: 3, peakBusy: 3 });
  });

  it('sizes a worker’s young generation for the largest document (poll.maxBytes); a new size replaces idle workers', async () => {
    expect(youngGenerationMb(1024)).toBe(12);
    expect(youngGenerationMb(10 * 1024 ** 2)).toBe(12); // the default poll.maxBytes
    expect(youngGenerationMb(30 * 1024 ** 2)).toBe(36);
    expect(youngGenerationMb(40 * 1024 ** 2)).toBeUndefined(); // V8's default (48 MB) from here
    const pool = createParsePool({ workers: 2, timeoutMs: 60_000, largestDocumentBytes: 10 * 1024 ** 2 });
    onTestFinished(() => pool.close());
    const body = bigRss(1_000);
    const outcome = await pool.parse(job(body));
    expect(outcome.kind === 'parsed' && outcome.parsed.items.length).toBe(1_000);
    await pool.warmUp();
    expect(pool.stats()).toMatchObject({ threads: 2, ready: 2, started: 2 });
    // A reload that keeps the size keeps the workers.
    pool.configure({ workers: 2, timeoutMs: 30_000, largestDocumentBytes: 10 * 1024 ** 2 });
    expect(pool.stats()).toMatchObject({ threads: 2, started: 2 });
    // A larger poll.maxBytes: idle workers stop, the next jobs start workers of the new size.
    pool.configure({ workers: 2, timeoutMs: 30_000, largestDocumentBytes: 30 * 1024 ** 2 });
    expect(pool.stats()).toMatchObject({ threads: 0, started: 2 });
    const again = await pool.parse(job(body));
    expect(again.kind === 'parsed' && again.parsed.items.length).toBe(1_000);
    expect(pool.stats()).toMatchObject({ threads: 1, started: 3 });
    // A busy worker of the old size stops after its job.
    const busy = pool.parse(job(body));
    pool.configure({ workers: 2, timeoutMs: 30_000 });
    expect((await busy).kind).toBe('parsed');
    expect(pool.stats()).toMatchObject({ threads: 0, started: 3 });
  });

  it('refuses jobs beyond maxQueued as a failure, and rejects waiting jobs on close', async () => {
    const pool = createParsePool({ workers: 1, timeoutMs: 60_000, maxQueued: 2 });
    const small = loadFixtureBytes('wordpress-rss.xml');
    const waiting = [pool.parse(job(small)), pool.parse(job(small))];
    expect(await pool.parse(job(small))).toEqual({
      kind: 'failed',
      reason: expect.stringMatching(/^parse queue full \(2 documents waiting\)/),
    });
    const settled = Promise.allSettled(waiting);
    await pool.close();
    for (const result of await settled) {
      expect(result).toMatchObject({ status: 'rejected', reason: expect.any(ParsePoolError) });
    }
    await expect(pool.parse(job(small))).rejects.toThrow(/parse pool: already closed/);
  });

  it('does not keep a process alive when idle: a script that never closes its pool exits', async () => {
    const script = join(makeTempDir(), 'idle-pool.mts');
    const poolUrl = pathToFileURL(fileURLToPath(new URL('../../src/feeds/parse-pool.ts', import.meta.url))).href;
    writeFileSync(
      script,
      [
        `import { createParsePool } from ${JSON.stringify(poolUrl)};`,
        'const pool = createParsePool({ workers: 2, timeoutMs: 10_000 });',
        `const outcome = await pool.parse({ input: { kind: 'text', text: '<rss version="2.0"><channel><title>T</title><item><title>A</title></item></channel></rss>' }, url: null, discover: false, normalizeAt: null });`,
        'console.log(outcome.kind, outcome.kind === "parsed" ? outcome.parsed.items.length : "");',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, output }).toEqual({ code: 0, output: 'parsed 1\n' });
  });
});
