/**
 * `subscribers import` as the file is read: bytes → text (decode-csv) → records and subscribers
 * (subscriber-csv) → the store, a batch per call (one transaction each). What is held is a
 * chunk of the file, one batch, and the fingerprints of the addresses seen (seen-addresses),
 * whatever the size of the file. The store is given as a function, so this module reads no
 * database of its own.
 */
import type { AddedSubscribers } from '../storage/store.ts';
import { decodeCsvChunks, type DecodedCsv, type DecodeFailure } from './decode-csv.ts';
import { createSubscriberCsvReader, type CsvSubscriber, type ParsedSubscriberCsv } from './subscriber-csv.ts';

/** What an import did so far. */
export interface ImportTotals extends AddedSubscribers {
  /** Subscribers written (added, renamed or unchanged). */
  imported: number;
  /** The line of the last subscriber written; 0 when none was. */
  lastLine: number;
  /** Lines left out (each given to onProblem). */
  problems: number;
}

/** Every line read; or where the import stopped, what stopped it, and what was written before. */
export type ImportOutcome =
  | { kind: 'done'; totals: ImportTotals }
  | { kind: 'not-text'; failure: DecodeFailure; totals: ImportTotals }
  | { kind: 'read-failed'; cause: unknown; totals: ImportTotals }
  | { kind: 'store-failed'; line: number; cause: unknown; totals: ImportTotals }
  /** Asked to stop (Ctrl-C): the batch from `line` on was not written. */
  | { kind: 'interrupted'; line: number; totals: ImportTotals };

/** How importSubscriberCsv reads and where it writes. */
export interface ImportOptions {
  /** The file's encoding label (--encoding); UTF-8 or by its byte-order mark when absent. */
  encoding?: string;
  /** Subscribers per write. */
  batchSize: number;
  /** Writes one batch (one transaction). */
  write(batch: readonly CsvSubscriber[]): Promise<AddedSubscribers>;
  /** Called for each line left out, in order. */
  onProblem(problem: { line: number; reason: string }): void;
  /** True once the import is to stop; asked before each batch is written. */
  stopRequested?: () => boolean;
}

/** Imports the subscribers of a CSV file's bytes, `options.batchSize` per write. */
export async function importSubscriberCsv(chunks: AsyncIterable<Uint8Array>, options: ImportOptions): Promise<ImportOutcome> {
  const totals: ImportTotals = { added: 0, renamed: 0, unchanged: 0, imported: 0, lastLine: 0, problems: 0 };
  const reader = createSubscriberCsvReader();
  let batch: CsvSubscriber[] = [];
  /** Takes in what the reader gave; writes every full batch (all that is left when `last`). */
  const take = async (parsed: ParsedSubscriberCsv, last: boolean): Promise<ImportOutcome | null> => {
    for (const problem of parsed.problems) options.onProblem(problem);
    totals.problems += parsed.problems.length;
    batch = batch.length === 0 ? parsed.subscribers : batch.concat(parsed.subscribers);
    while (batch.length >= options.batchSize || (last && batch.length > 0)) {
      const written = batch.slice(0, options.batchSize);
      if (options.stopRequested?.() === true) return { kind: 'interrupted', line: written[0]!.line, totals };
      try {
        const counts = await options.write(written);
        totals.added += counts.added;
        totals.renamed += counts.renamed;
        totals.unchanged += counts.unchanged;
      } catch (cause) {
        return { kind: 'store-failed', line: written[0]!.line, cause, totals };
      }
      totals.imported += written.length;
      totals.lastLine = written.at(-1)!.line;
      batch = batch.slice(written.length);
    }
    return null;
  };
  const texts = decodeCsvChunks(chunks, options.encoding)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<DecodedCsv>;
      try {
        next = await texts.next();
      } catch (cause) {
        return { kind: 'read-failed', cause, totals };
      }
      if (next.done === true) break;
      if (next.value.kind === 'failed') return { kind: 'not-text', failure: next.value, totals };
      const stopped = await take(reader.push(next.value.text), false);
      if (stopped) return stopped;
    }
  } finally {
    // Stopped early: the file is closed.
    await texts.return?.(undefined);
  }
  return (await take(reader.end(), true)) ?? { kind: 'done', totals };
}

/** Why the file's bytes are not text of their encoding, with the line, or null when they all are: read once before importing, so such a file imports nothing. */
export async function checkCsvText(chunks: AsyncIterable<Uint8Array>, encoding?: string): Promise<DecodeFailure | null> {
  for await (const decoded of decodeCsvChunks(chunks, encoding)) if (decoded.kind === 'failed') return decoded;
  return null;
}
