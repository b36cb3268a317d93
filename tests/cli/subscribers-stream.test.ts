/**
 * `subscribers export` and `import` at a size that must not be held whole, on both backends:
 * export reaches a slow reader byte for byte while never more than a page waits in the process,
 * and import reads a large file with bad lines in the middle, naming each by its number.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatSubscriberCsv } from '../../src/digest/subscriber-csv.ts';
import { main } from '../../src/main.ts';
import type { Store } from '../../src/storage/store.ts';
import { encodeWindows1252 } from '../helpers/encodings.ts';
import { CLI, runShell } from '../helpers/run-cli.ts';
import { postgresBackend, sqliteBackend } from '../helpers/store-backends.ts';
import { installSubscribers, type Installation } from '../helpers/subscriber-install.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const MANY = 200_000;

/** `count` subscribers of daily (some names quoted, some none), 20,000 a call; a few of them unsubscribed. */
async function addMany(store: Store, count: number): Promise<void> {
  for (let start = 0; start < count; start += 20_000) {
    const batch = Array.from({ length: Math.min(20_000, count - start) }, (_, offset) => {
      const index = start + offset;
      return {
        address: `reader${index}@example.org`,
        name: index % 3 === 0 ? null : index % 3 === 1 ? `Reader ${index}` : `Doe, R${index}`,
      };
    });
    await store.addSubscribers('daily', batch, new Date());
  }
  for (const index of [0, 4_999, 5_000, 123_456, count - 1]) await store.unsubscribe(`reader${index}@example.org`, 'daily', new Date());
}

/** Runs the CLI with stdout on a pipe read slowly: nothing for half a second, then a chunk every few milliseconds. */
function exportSlowly(installation: Installation): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...installation.globals, 'subscribers', 'export', '--digest', 'daily'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn', ...installation.env },
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.pause();
    setTimeout(() => {
      void (async () => {
        for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
          chunks.push(chunk);
          await sleep(2);
        }
      })().catch(reject);
    }, 500);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks), stderr }));
  });
}

/** A stdout that takes a chunk a millisecond after it is given, recording the most it ever held unwritten. */
function slowSink() {
  const sink = { text: '', mostWaiting: 0 };
  const stream = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, done) {
      sink.text += chunk.toString();
      setTimeout(done, 1);
    },
  });
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string, ...rest: never[]) => {
    const accepted = write(chunk, ...rest);
    sink.mostWaiting = Math.max(sink.mostWaiting, stream.writableLength);
    return accepted;
  }) as typeof stream.write;
  return { sink, stream };
}

/** Runs main() in this process on the installation's database, with `stdout` as its standard output; its exit code. */
async function runMain(installation: Installation, args: string[], stdout: NodeJS.WritableStream): Promise<number> {
  const saved = process.env.COLUMNWIRE_DATABASE_URL;
  if (installation.env.COLUMNWIRE_DATABASE_URL) process.env.COLUMNWIRE_DATABASE_URL = installation.env.COLUMNWIRE_DATABASE_URL;
  try {
    return await main([...installation.globals, ...args], { stdout, stderr: process.stderr, stopSignal: new Promise(() => {}) });
  } finally {
    if (saved === undefined) delete process.env.COLUMNWIRE_DATABASE_URL;
    else process.env.COLUMNWIRE_DATABASE_URL = saved;
  }
}

describe.each([sqliteBackend, postgresBackend])('subscribers export and import at scale on $name', (backend) => {
  it(`export: ${MANY.toLocaleString('en')} subscribers reach a slow pipe byte for byte, as the whole list formats`, async () => {
    const installation = await installSubscribers(root, backend);
    expect((await installation.cli('list')).code).toBe(0); // creates the tables
    const store = await installation.open();
    await addMany(store, MANY);
    const expected = formatSubscriberCsv(await store.digestSubscribers('daily'));
    expect(expected.split('\r\n')).toHaveLength(MANY - 5 + 2);
    const result = await exportSlowly(installation);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.length).toBe(Buffer.byteLength(expected));
    expect(result.stdout.toString('utf8') === expected).toBe(true);
  });

  it('export: waits for a slow stdout to drain, never holding more than a page unwritten', async () => {
    const installation = await installSubscribers(root, backend);
    expect((await installation.cli('list')).code).toBe(0);
    const store = await installation.open();
    await addMany(store, 40_000);
    const expected = formatSubscriberCsv(await store.digestSubscribers('daily'));
    const { sink, stream } = slowSink();
    expect(await runMain(installation, ['subscribers', 'export', '--digest', 'daily'], stream)).toBe(0);
    await new Promise<void>((resolve) => stream.end(resolve));
    expect(sink.text === expected).toBe(true);
    // A page of 5,000 is about 150 KB; the whole list, 1.1 MB, would wait at once without backpressure.
    expect(Buffer.byteLength(expected)).toBeGreaterThan(1_000_000);
    expect(sink.mostWaiting).toBeLessThan(300_000);
  });

  it.each(['--json', '--csv'])('list %s: waits for a slow stdout to drain, and the output parses whole', async (format) => {
    const installation = await installSubscribers(root, backend);
    expect((await installation.cli('list')).code).toBe(0);
    const store = await installation.open();
    await addMany(store, 40_000);
    const { sink, stream } = slowSink();
    expect(await runMain(installation, ['subscribers', 'list', format, '--digest', 'daily'], stream)).toBe(0);
    await new Promise<void>((resolve) => stream.end(resolve));
    if (format === '--json') {
      const rows = JSON.parse(sink.text) as Array<{ address: string; name: string | null; state: string }>;
      expect(rows).toHaveLength(40_000);
      expect(rows.filter((row) => row.state === 'unsubscribed')).toHaveLength(4);
      expect(rows.find((row) => row.address === 'reader2@example.org')?.name).toBe('Doe, R2');
    } else {
      const lines = sink.text.split('\n');
      expect(lines[0]).toBe('address,digest,source,name,state,since,scope');
      expect(lines).toHaveLength(40_000 + 2);
      expect(lines.at(-1)).toBe('');
      expect(lines).toContain('reader2@example.org,daily,subscriber,"Doe, R2",subscribed,,');
    }
    // 40,000 rows are about 4 MB; without backpressure they would all wait at once.
    expect(Buffer.byteLength(sink.text)).toBeGreaterThan(2_000_000);
    expect(sink.mostWaiting).toBeLessThan(300_000);
  });

  it('import: a large file with bad lines in the middle names each by its line, and imports the rest', async () => {
    const { dir, cli, open } = await installSubscribers(root, backend);
    const count = 100_000;
    // Lines that are not plain `address,"name"`, by index: bad ones with the reason they are left out.
    const special = new Map<number, { text: string; reason?: string }>([
      [9, { text: 'two@example.org,"Two\r\nLines"' }], // one record over two lines: the lines after it count both
      [4_998, { text: 'not-an-address-4998,x', reason: 'not an email address: "not-an-address-4998"' }],
      [4_999, { text: 'reader10@example.org,Again', reason: 'reader10@example.org is already on line 13' }],
      [
        7_777,
        {
          text: '"open@example.org,quote never closed',
          reason: 'a quoted field is not closed on this line, and the lines after it hold addresses',
        },
      ],
      [50_000, { text: 'a@example.org,b,c', reason: 'expected 2 columns (email,name), got 3' }],
      [count - 1, { text: 'last-is-bad', reason: 'not an email address: "last-is-bad"' }],
    ]);
    const lines = ['email,name'];
    const problems: string[] = [];
    const file = join(dir, 'big.csv');
    for (let index = 0; index < count; index++) {
      const given = special.get(index);
      if (given?.reason !== undefined) problems.push(`${file}:${lines.length + 1 + (index > 9 ? 1 : 0)}: ${given.reason}`);
      lines.push(given?.text ?? `reader${index}@example.org,"Reader, ${index}"`);
    }
    writeFileSync(file, `${lines.join('\r\n')}\r\n`);
    const result = await cli('import', file, '--digest', 'daily');
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual(problems);
    const added = count - problems.length;
    expect(result.stdout).toBe(
      `imported ${file} into daily: ${added} added, 0 renamed, 0 unchanged; ${problems.length} lines left out (listed above)\n`,
    );
    const store = await open();
    expect(await store.countSubscribers()).toEqual(new Map([['daily', added]]));
    expect(await store.listSubscribers('daily', { limit: 1, after: { digestId: 'daily', address: 'two@' } })).toMatchObject([
      { address: 'two@example.org', name: 'Two Lines' },
    ]);
  });

  it('import: a file not UTF-8 far past the first batches imports nothing; the same lines through a pipe import', async () => {
    const { dir, cli, open, globals, env } = await installSubscribers(root, backend);
    const lines = Array.from({ length: 12_000 }, (_, index) => `r${index}@example.org,Reader ${index}`);
    lines[11_000] = 'm@example.org,Müller';
    const file = join(dir, 'excel.csv');
    writeFileSync(file, encodeWindows1252(`${lines.join('\r\n')}\r\n`));
    const refused = await cli('import', file, '--digest', 'daily');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^columnwire: subscribers import: ${file}:11001: not UTF-8 text; save it as "CSV UTF-8`));
    const store = await open();
    expect(await store.countSubscribers()).toEqual(new Map());
    // Through a pipe (cat |), read once, as it comes.
    const utf8 = join(dir, 'utf8.csv');
    writeFileSync(utf8, `${lines.join('\n')}\n`);
    const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;
    const command = `cat ${quote(utf8)} | ${[process.execPath, CLI, ...globals, 'subscribers', 'import', '/dev/stdin', '--digest', 'daily'].map(quote).join(' ')}`;
    const piped = await runShell(command, env);
    expect(piped).toEqual({ code: 0, stderr: '', stdout: 'imported /dev/stdin into daily: 12000 added, 0 renamed, 0 unchanged\n' });
  });
});
