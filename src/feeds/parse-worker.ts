/**
 * The body of a parse worker thread (started by parse-pool.ts): answers each job message with
 * its outcome. Runs decoding, parsing and normalization off the main thread, so a slow or
 * hostile feed never holds the event loop that serves HTTP.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { parseDocument, type ParseJob, type ParseOutcome } from './parse-document.ts';
import { ownThreadStatPath } from './thread-cpu.ts';

/** Main thread → worker. */
export interface JobMessage {
  id: number;
  job: ParseJob;
}

/** Worker → main thread: `ready` once its modules are loaded (with where its CPU time can be read), then one reply per job. */
export type WorkerMessage = { kind: 'ready'; statPath: string | null } | { kind: 'done'; id: number; outcome: ParseOutcome };

/** Niceness of parse threads: when the CPUs are busy, the main thread (HTTP, SQLite) runs first. */
const PARSE_NICENESS = 10;

if (!parentPort) throw new Error('parse-worker: must run in a worker thread started by parse-pool.ts');
const port = parentPort;
// On Linux the nice value is per thread (setpriority(2), NOTES); elsewhere it would slow the
// whole process, main thread included, so it is left alone.
if (process.platform === 'linux') {
  try {
    setPriority(PARSE_NICENESS);
  } catch {
    // Not permitted (a seccomp profile): parsing at normal priority is still correct.
  }
}
// Jobs run one after another, in the order sent (the pool sends the next while one runs, and
// counts its deadline from the end of the one before).
let previous: Promise<void> = Promise.resolve();
port.on('message', (message: JobMessage) => {
  previous = previous
    .then(() => parseDocument(message.job))
    .then((outcome) => port.postMessage({ kind: 'done', id: message.id, outcome } satisfies WorkerMessage));
});
port.postMessage({ kind: 'ready', statPath: ownThreadStatPath() } satisfies WorkerMessage);
