/**
 * Lines for output that is not a terminal (a pipe, a file, cron's mail), written in batches:
 * one write per line costs a system call each, and `columnwire poll` prints a line per feed,
 * which cost more than polling an unchanged feed. A line waits at most `maxWaitMs`, so a
 * reader following the output (`| tee`, `tail -f`) still sees each feed soon after it is done.
 */
export interface LineBatch {
  /** Queues `text` (whole lines); written at once past 16 KiB, else within maxWaitMs. */
  write(text: string): void;
  /** Writes whatever waits now. Call before anything else goes to the stream, and at the end. */
  flush(): void;
}

const MAX_PENDING_CHARS = 16_384;

export function batchLines(stream: Pick<NodeJS.WritableStream, 'write'>, maxWaitMs = 100): LineBatch {
  let pending = '';
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (pending === '') return;
    const text = pending;
    pending = '';
    stream.write(text);
  };
  return {
    write(text) {
      pending += text;
      if (pending.length >= MAX_PENDING_CHARS) flush();
      else timer ??= setTimeout(flush, maxWaitMs);
    },
    flush,
  };
}
