/**
 * Full-text searches of a SQLite store on threads of their own (read-worker.ts), each with a
 * read-only connection: a search never holds the event loop that serves pages, feeds and
 * /healthz, and searches at once use both cores. Threads start with the first searches (a
 * store that never searches starts none), at most `threads` of them; each runs one search at a
 * time and the others wait their turn, oldest first. A thread that fails is replaced on the next
 * search; the search it held fails with a ReadThreadError, which the store answers by
 * searching on its own connection.
 */
import { Worker } from 'node:worker_threads';
import type { SearchHit, SearchQuery } from '../store.ts';
import type { SearchJobMessage, SearchReplyMessage } from './read-worker.ts';

// From the TypeScript sources (tsx, vitest) the worker needs tsx registered in its own thread;
// compiled to JavaScript, the worker module sits beside this one.
const OWN_URL = import.meta.url;
const WORKER_URL = new URL(OWN_URL.endsWith('.ts') ? './read-worker-tsx.mjs' : './read-worker.js', OWN_URL);

/** The search threads failed (a thread died or could not start), not the search itself. */
export class ReadThreadError extends Error {
  override name = 'ReadThreadError';
}

export interface ReadThreads {
  /** Runs the search on a thread; rejects with a ReadThreadError when no thread could run it. */
  search(query: SearchQuery): Promise<SearchHit[]>;
  /** Stops every thread; searches waiting or running fail with a ReadThreadError. */
  close(): Promise<void>;
}

export interface ReadThreadOptions {
  /** Most threads at once. */
  threads: number;
  /** The worker module (default: read-worker beside this file); tests give one that fails. */
  workerUrl?: URL;
}

interface Job extends SearchJobMessage {
  resolve: (hits: SearchHit[]) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  ready: boolean;
  running: Job | null;
}

/** Search threads over the database file at `path`. */
export function createReadThreads(path: string, options: ReadThreadOptions): ReadThreads {
  const threads: Thread[] = [];
  const waiting: Job[] = [];
  let nextId = 0;
  let closed = false;

  const dispatch = (): void => {
    while (waiting.length > 0) {
      const idle = threads.find((thread) => thread.ready && thread.running === null);
      if (!idle) {
        // A thread starting counts as one on its way: start another only for a search it cannot take.
        const starting = threads.filter((thread) => !thread.ready).length;
        if (threads.length < options.threads && starting < waiting.length) start();
        return;
      }
      const job = waiting.shift()!;
      idle.running = job;
      // A thread at work keeps the process alive until it answers; an idle one never does.
      idle.worker.ref();
      try {
        idle.worker.postMessage({ id: job.id, query: job.query } satisfies SearchJobMessage);
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
    const failure = new ReadThreadError(`search thread failed: ${error.message}`, { cause: error });
    thread.running?.reject(failure);
    // A thread that never started takes the searches waiting for it along: starting another at
    // once could fail the same way forever. The next search tries again.
    if (!thread.ready && !threads.some((other) => other.ready)) for (const job of waiting.splice(0)) job.reject(failure);
    dispatch();
  };

  function start(): void {
    const worker = new Worker(options.workerUrl ?? WORKER_URL, { workerData: { path } });
    const thread: Thread = { worker, ready: false, running: null };
    threads.push(thread);
    worker.on('message', (message: SearchReplyMessage | { ready: true }) => {
      if ('ready' in message) {
        thread.ready = true;
      } else {
        const job = thread.running;
        thread.running = null;
        if (job?.id === message.id) {
          if ('error' in message) job.reject(new Error(message.error));
          else job.resolve(message.hits);
        }
      }
      dispatch();
      // Listening refs a worker: one starting keeps the process alive (a search waits for it), an idle one never.
      if (thread.running === null) worker.unref();
    });
    worker.on('error', (error) => fail(thread, error));
    worker.on('exit', (code) => fail(thread, new Error(`it exited with code ${code}`)));
  }

  return {
    search(query) {
      if (closed) return Promise.reject(new ReadThreadError('search threads closed'));
      return new Promise<SearchHit[]>((resolve, reject) => {
        waiting.push({ id: nextId++, query, resolve, reject });
        dispatch();
      });
    },
    async close() {
      closed = true;
      const failure = new ReadThreadError('search threads closed');
      for (const job of waiting.splice(0)) job.reject(failure);
      const stopping = threads.splice(0);
      for (const thread of stopping) thread.running?.reject(failure);
      await Promise.all(stopping.map((thread) => thread.worker.terminate()));
    },
  };
}
