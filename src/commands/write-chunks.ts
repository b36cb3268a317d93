/**
 * Output too large to hold (a million subscribers as CSV) written as it is made, at the pace of
 * its reader: a pipe to a slow reader (`| gzip`, `| ssh host cat`) takes 64 KiB at a time, and
 * what it has not taken waits in this process. So each chunk is written only once the stream
 * has drained the last one (Node's backpressure), and at most one chunk waits. The bin script
 * waits for the last one to reach the pipe before the process exits.
 */
import { once } from 'node:events';

type Output = NodeJS.WritableStream & { destroyed?: boolean };

/**
 * Writes each chunk to `stream`, waiting for 'drain' whenever it asks to. False when the stream
 * closed first (the reader went away: `| head`); the chunks not written are not read either.
 */
export async function writeChunks(stream: Output, chunks: AsyncIterable<string>): Promise<boolean> {
  for await (const chunk of chunks) {
    if (stream.destroyed === true) return false;
    if (!stream.write(chunk) && !(await drained(stream))) return false;
  }
  return true;
}

/** True on 'drain'; false when the stream closes or fails first (its 'error' is its owner's to report: bin/columnwire.js). */
async function drained(stream: Output): Promise<boolean> {
  if (stream.destroyed === true) return false;
  const stop = new AbortController();
  // once() rejects when the stream emits 'error' (and on abort): either way, no drain is coming.
  const settle = (event: string, drain: boolean) =>
    once(stream, event, { signal: stop.signal }).then(
      () => drain,
      () => false,
    );
  try {
    return await Promise.race([settle('drain', true), settle('close', false), settle('error', false)]);
  } finally {
    stop.abort();
  }
}
