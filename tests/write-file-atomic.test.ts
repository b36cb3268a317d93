/** writeFileAtomic and writeFileAtomicFrom: the file is the old text or the new, never a part, and no temp file stays behind. */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicFrom } from '../src/write-file-atomic.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

async function* chunks(count: number, failAfter = Infinity): AsyncGenerator<string> {
  for (let index = 0; index < count; index++) {
    if (index % 1_000 === 0) await Promise.resolve(); // a page read from the store
    if (index === failAfter) throw new Error('store: the connection ended');
    yield `line ${index}\r\n`;
  }
}

describe('writeFileAtomicFrom', () => {
  it('writes every chunk, keeping the mode of the file it replaces', async () => {
    const dir = makeTempDir();
    const file = join(dir, 'out.csv');
    writeFileSync(file, 'old');
    chmodSync(file, 0o640);
    await writeFileAtomicFrom(file, chunks(10_000));
    expect(readFileSync(file, 'utf8')).toBe(Array.from({ length: 10_000 }, (_, index) => `line ${index}\r\n`).join(''));
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['out.csv']);
  });

  it('leaves the file as it was, and no temp file, when the chunks fail part-way; the error is the source’s own', async () => {
    const dir = makeTempDir();
    const file = join(dir, 'out.csv');
    writeFileSync(file, 'old');
    await expect(writeFileAtomicFrom(file, chunks(10_000, 5_000))).rejects.toThrow(/^store: the connection ended$/);
    expect(readFileSync(file, 'utf8')).toBe('old');
    await expect(writeFileAtomicFrom(join(dir, 'new.csv'), chunks(10, 3))).rejects.toThrow('store: the connection ended');
    expect(readdirSync(dir)).toEqual(['out.csv']);
  });

  it('writes into a pipe or a device in place (--output /dev/stdout, a FIFO), never renaming a file over it', async () => {
    const dir = makeTempDir();
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const read = (async () => {
      let text = '';
      for await (const chunk of createReadStream(fifo, 'utf8')) text += chunk as string;
      return text;
    })();
    await new Promise((resolve) => setImmediate(resolve)); // the reader's open(2) is under way: the writer's meets it
    await writeFileAtomicFrom(fifo, chunks(100));
    expect(await read).toBe(Array.from({ length: 100 }, (_, index) => `line ${index}\r\n`).join(''));
    // Still the pipe (as root, /dev/null would otherwise have become a regular file).
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(dir)).toEqual(['out.fifo']);
  });

  it('stops without an error when the reader of a pipe goes away (--output /dev/stdout | head), as stdout does', async () => {
    const dir = makeTempDir();
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const head = spawn('head', ['-c', '10', fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    let read = '';
    head.stdout.on('data', (chunk: Buffer) => (read += chunk.toString()));
    const exited = new Promise((resolve) => head.on('close', resolve));
    // 10,000 lines, far more than a pipe holds: the reader is gone long before the last.
    await writeFileAtomicFrom(fifo, chunks(10_000));
    await exited;
    expect(read).toBe('line 0\r\nli');
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('says what to do when the folder cannot be written, as writeFileAtomic does', async () => {
    const missing = join(makeTempDir(), 'no-such-folder', 'out.csv');
    await expect(writeFileAtomicFrom(missing, chunks(1))).rejects.toThrow(
      /^write: cannot write .*out\.csv: .*ENOENT.*; the file is unchanged$/,
    );
    expect(() => writeFileAtomic(missing, 'x')).toThrow(/^write: cannot write .*out\.csv: .*ENOENT.*; the file is unchanged$/);
  });
});
