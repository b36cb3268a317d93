/**
 * Reads of a SQLite store on threads of their own (read-worker.ts), each with a read-only
 * connection: full-text searches, and the byline stats the site's directory is built from after
 * every change of the content. Neither holds the event loop that serves pages, feeds and
 * /healthz, and reads at once use both cores. Threads start with the first reads sent here (a
 * store that sends none starts none), at most `threads` of them; each runs one read at a time and
 * the others wait their turn, oldest first. A thread that fails is replaced on the next read; the
 * read it held fails with a ReadThreadError, which the store answers by reading on its own
 * connection.
 */
import { Worker } from 'node:worker_threads';
import type { BylineStat, SearchHit, SearchQuery } from '../store.ts';
import type { ReadJob, ReadJobMessage, ReadReplyMessage, ReadResults } from './read-worker.ts';

// From the TypeScript sources (tsx, vitest) the worker needs tsx registered in its own thread;
// compiled to JavaScript, the worker module sits beside this one.
const OWN_URL = import.meta.url;
const WORKER_URL = new URL(OWN_URL.endsWith('.ts') ? './read-worker-tsx.mjs' : './read-worker.js', OWN_URL);

/** The read threads failed (a thread died or could not start), not the read itself. */
export class ReadThreadError extends Error {
  override name = 'ReadThreadError';
}

export interface ReadThreads {
  /** Runs the search on a thread; rejects with a ReadThreadError when no thread could run it. */
  search(query: SearchQuery): Promise<SearchHit[]>;
  /** Reads the byline stats on a thread; rejects with a ReadThreadError when no thread could. */
  bylineStats(): Promise<BylineStat[]>;
  /**
   * Starts a thread for reads to come, unless one is running or starting: the first read sent
   * then waits for a read, not for a thread to start (0.3 s of CPU, 0.5 s on a busy machine).
   * A thread that fails to start this way is started again by the next read.
   */
  warm(): void;
  /** Stops every thread; reads waiting or running fail with a ReadThreadError. */
  close(): Promise<void>;
}

export interface ReadThreadOptions {
  /** Most threads at once. */
  threads: number;
  /** The worker module (default: read-worker beside this file); tests give one that fails. */
  workerUrl?: URL;
}

interface Job extends ReadJobMessage {
  resolve: (result: ReadResults[ReadJob['kind']]) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  ready: boolean;
  running: Job | null;
}

/** Read threads over the database file at `path`. */
export function createReadThreads(path: string, options: ReadThreadOptions): ReadThreads {
  const threads: Thread[] = [];
  const waiting: Job[] = [];
  let nextId = 0;
  let closed = false;

  const dispatch = (): void => {
    while (waiting.length > 0) {
      const idle = threads.find((thread) => thread.ready && thread.running === null);
      if (!idle) {
        // A thread starting counts as one on its way: start another only for a read it cannot take.
        const starting = threads.filter((thread) => !thread.ready);
        // A read waiting keeps the process alive until a thread answers it (one warmed up idles unreferenced).
        for (const thread of starting) thread.worker.ref();
        if (threads.length < options.threads && starting.length < waiting.length) start();
        return;
      }
      const job = waiting.shift()!;
      idle.running = job;
      // A thread at work keeps the process alive until it answers; an idle one never does.
      idle.worker.ref();
      try {
        idle.worker.postMessage({ id: job.id, job: job.job } satisfies ReadJobMessage);
      } catch (error) {
        idle.running = null;
        idle.worker.unref();
        job.reject(error as Error);
      }
    }
  };

  const fail = (thread: Thread, error: Error): void => {
    const index = threads.indexOf(thread);
    if (index < 0) return;
    threads.splice(index, 1);
    void thread.worker.terminate();
    const failure = new ReadThreadError(`read thread failed: ${error.message}`, { cause: error });
    thread.running?.reject(failure);
    // A thread that never started takes the reads waiting for it along: starting another at
    // once could fail the same way forever. The next read tries again.
    if (!thread.ready && !threads.some((other) => other.ready)) for (const job of waiting.splice(0)) job.reject(failure);
    dispatch();
  };

  function start(): Thread {
    const worker = new Worker(options.workerUrl ?? WORKER_URL, { workerData: { path } });
    const thread: Thread = { worker, ready: false, running: null };
    threads.push(thread);
    worker.on('message', (message: ReadReplyMessage | { ready: true }) => {
      if ('ready' in message) {
        thread.ready = true;
      } else {
        const job = thread.running;
        thread.running = null;
        if (job?.id === message.id) {
          if ('error' in message) job.reject(new Error(message.error));
          else job.resolve(message.result);
        }
      }
      dispatch();
      // Listening refs a worker: one starting keeps the process alive (a read waits for it), an idle one never.
      if (thread.running === null) worker.unref();
    });
    worker.on('error', (error) => fail(thread, error));
    worker.on('exit', (code) => fail(thread, new Error(`it exited with code ${code}`)));
    return thread;
  }

  /** Queues `job` for the next idle thread. */
  function run<K extends ReadJob['kind']>(job: Extract<ReadJob, { kind: K }>): Promise<ReadResults[K]> {
    if (closed) return Promise.reject(new ReadThreadError('read threads closed'));
    return new Promise<ReadResults[K]>((resolve, reject) => {
      // The worker answers a job with the result of its kind (read-worker.ts).
      waiting.push({ id: nextId++, job, resolve: resolve as Job['resolve'], reject });
      dispatch();
    });
  }

  return {
    search: (query) => run({ kind: 'search', query }),
    bylineStats: () => run({ kind: 'byline-stats' }),
    warm() {
      if (closed || threads.length > 0) return;
      // Nothing waits for it yet: it never keeps the process alive (dispatch refs it for a read).
      start().worker.unref();
    },
    async close() {
      closed = true;
      const failure = new ReadThreadError('read threads closed');
      for (const job of waiting.splice(0)) job.reject(failure);
      const stopping = threads.splice(0);
      for (const thread of stopping) thread.running?.reject(failure);
      await Promise.all(stopping.map((thread) => thread.worker.terminate()));
    },
  };
}
