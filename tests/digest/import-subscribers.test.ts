/** importSubscriberCsv: a file read a chunk at a time into batches, and where it stops when the store, the bytes or the reading fail. */
import { describe, expect, it } from 'vitest';
import { checkCsvText, importSubscriberCsv, type ImportOptions } from '../../src/digest/import-subscribers.ts';
import type { CsvSubscriber } from '../../src/digest/subscriber-csv.ts';

/** `text`'s UTF-8 bytes in chunks of `size`, then `after` (bytes to add, or an error to throw). */
async function* chunks(text: string, size: number, after?: Uint8Array | Error): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) yield await Promise.resolve(bytes.subarray(at, at + size));
  if (after instanceof Error) throw after;
  if (after) yield after;
}

/** Options that keep the batches written and the problems seen; `failAt`: the batch (from 0) whose write fails. */
function recording(batchSize: number, failAt = -1) {
  const batches: CsvSubscriber[][] = [];
  const problems: string[] = [];
  const options: ImportOptions = {
    batchSize,
    write: (batch) => {
      if (batches.length === failAt) return Promise.reject(new Error('database is locked'));
      batches.push([...batch]);
      return Promise.resolve({ added: batch.length, renamed: 0, unchanged: 0 });
    },
    onProblem: ({ line, reason }) => problems.push(`${line}: ${reason}`),
  };
  return { batches, problems, options };
}

const csv = (count: number) =>
  `email,name\n${Array.from({ length: count }, (_, index) => (index === 40 ? 'oops' : `r${index}@example.org,R ${index}`)).join('\n')}\n`;

describe('importSubscriberCsv', () => {
  it('writes full batches as the file is read, the rest at its end, and counts the lines left out', async () => {
    const { batches, problems, options } = recording(25);
    const outcome = await importSubscriberCsv(chunks(csv(100), 37), options);
    expect(outcome).toEqual({
      kind: 'done',
      totals: { added: 99, renamed: 0, unchanged: 0, imported: 99, lastLine: 101, problems: 1 },
    });
    expect(batches.map((batch) => batch.length)).toEqual([25, 25, 25, 24]);
    expect(batches[1]![0]).toEqual({ line: 27, address: 'r25@example.org', name: 'R 25' });
    expect(problems).toEqual(['42: not an email address: "oops"']);
  });

  it('stops at the batch the store refuses, with the line it starts on and what was written before', async () => {
    const { batches, options } = recording(25, 2);
    const outcome = await importSubscriberCsv(chunks(csv(100), 37), options);
    expect(outcome).toMatchObject({ kind: 'store-failed', line: 53, totals: { imported: 50, lastLine: 52 } });
    expect((outcome as { cause: Error }).cause.message).toBe('database is locked');
    expect(batches).toHaveLength(2);
  });

  it('stops where the bytes are not UTF-8 (a pipe, read once), naming the line; what was written stays', async () => {
    const { batches, options } = recording(10);
    const outcome = await importSubscriberCsv(chunks(csv(30), 64, Uint8Array.from([0x6d, 0xfc, 0x6c, 0x0a])), options);
    expect(outcome).toMatchObject({ kind: 'not-text', failure: { line: 32, reason: expect.stringMatching(/^not UTF-8 text/) } });
    expect(outcome.totals).toMatchObject({ imported: 30, lastLine: 31 });
    expect(batches).toHaveLength(3);
    expect(await checkCsvText(chunks(csv(30), 64, Uint8Array.from([0x6d, 0xfc, 0x6c, 0x0a])))).toMatchObject({ line: 32 });
    expect(await checkCsvText(chunks(csv(30), 64))).toBeNull();
  });

  it('stops when reading fails part-way, with what was written before', async () => {
    const { options } = recording(10);
    const outcome = await importSubscriberCsv(chunks(csv(30), 64, new Error('EIO: i/o error, read')), options);
    expect(outcome).toMatchObject({ kind: 'read-failed', totals: { imported: 30 } });
    expect((outcome as { cause: Error }).cause.message).toBe('EIO: i/o error, read');
  });
});
