/**
 * A pool of parse worker threads with a deadline per job. Fetching and SQLite stay on the main
 * thread; decoding, parsing and normalization (parse-document.ts) run here, so no feed can hold
 * the event loop that answers /healthz. A job past its deadline has its worker terminated and
 * replaced, and answers with this feed's failure: a value, like every expected feed failure.
 *
 * Each worker holds up to JOBS_PER_WORKER jobs: the one it runs and the next, waiting in its
 * port, so it goes on to the next as soon as it is done instead of idling until the main thread,
 * busy saving another feed, hands it one.
 */
import { Worker } from 'node:worker_threads';
import type { ParseJob, ParseOutcome } from './parse-document.ts';
import type { JobMessage, WorkerMessage } from './parse-worker.ts';
import { openThreadCpuClock, type ThreadCpuClock } from './thread-cpu.ts';

export interface ParsePoolLimits {
  /** Most worker threads at once (poll.parseWorkers); started on demand. */
  workers: number;
  /**
   * Budget of one job from the moment a worker takes it (poll.parseTimeoutSeconds): CPU time of
   * the worker thread where the OS reports it (Linux), else wall-clock time.
   */
  timeoutMs: number;
  /**
   * The largest document a job may bring (poll.maxBytes): a worker started from now on gets a
   * young generation to suit it (youngGenerationMb). Absent: V8's default.
   */
  largestDocumentBytes?: number;
}

export interface ParsePoolOptions extends ParsePoolLimits {
  /** Jobs waiting for a worker beyond this many are refused with a failed outcome (default 1,000). */
  maxQueued?: number;
  /** The worker module (default: parse-worker beside this file); tests give one that misbehaves. */
  workerUrl?: URL;
}

export interface ParsePoolStats {
  /** Worker threads alive now (starting or started). */
  threads: number;
  /** Of those, the ones that have loaded and can take jobs. */
  ready: number;
  busy: number;
  queued: number;
  /** Worker threads started since the pool was made (replacements included). */
  started: number;
  /** The most jobs that ran at the same moment. */
  peakBusy: number;
}

/** What a call site needs of the pool. */
export interface FeedParser {
  /** Parses one document in a worker; resolves to its outcome, never rejects for the document's sake. */
  parse(job: ParseJob): Promise<ParseOutcome>;
}

export interface ParsePool extends FeedParser {
  /** New limits (a reload): jobs started from now on get the new deadline; threads over the new count stop. */
  configure(limits: ParsePoolLimits): void;
  /** Starts every worker the limits allow; resolves once each is ready (or has failed to start). */
  warmUp(): Promise<void>;
  stats(): ParsePoolStats;
  /** Stops every worker; jobs still waiting or running are rejected with a ParsePoolError. */
  close(): Promise<void>;
}

/** The pool itself failed (closed, or a worker could not start): not any feed's fault. */
export class ParsePoolError extends Error {
  override name = 'ParsePoolError';
}

// From the TypeScript sources (tsx, vitest) the worker needs tsx registered in its own thread;
// compiled to JavaScript, the worker module sits beside this one.
/**
 * A parse worker's young generation, MB, for documents of up to `largestBytes`: 1.2 MB per MB,
 * 12 MB for the default poll.maxBytes of 10 MB; undefined (V8's default, 48 MB on 64-bit) from
 * 40 MB. V8's default lets each worker's short-lived garbage (decoded text, rss-parser's xml2js
 * trees) grow to 48 MB before a scavenge: at 12 MB a fresh poll of 3,000 feeds peaked 30–40 MB
 * lower with the same CPU. But a small young generation slows a document far larger than it
 * (its parse keeps much alive, which is copied again and again): a 30 MB feed took 1.5–1.8x
 * the CPU at 12 MB and the same as the default at 32 MB, so the size follows poll.maxBytes.
 */
export function youngGenerationMb(largestBytes: number): number | undefined {
  const mb = Math.max(MIN_YOUNG_GENERATION_MB, Math.ceil((largestBytes / 1024 ** 2) * 1.2));
  return mb >= V8_DEFAULT_YOUNG_GENERATION_MB ? undefined : mb;
}
const MIN_YOUNG_GENERATION_MB = 12;
const V8_DEFAULT_YOUNG_GENERATION_MB = 48;
/**
 * Jobs a worker holds at once: the one it runs and one waiting. In a changed pass over 1,000
 * feeds (one new item of 50 each) a worker given one job at a time sat idle 44% of the pass,
 * waiting for a main thread that was itself saving feeds.
 */
const JOBS_PER_WORKER = 2;
const OWN_URL = import.meta.url;
const WORKER_URL = new URL(OWN_URL.endsWith('.ts') ? './parse-worker-tsx.mjs' : './parse-worker.js', OWN_URL);
/** CPU time is counted in 10 ms ticks: no point looking again sooner. */
const MIN_RECHECK_MS = 20;
/** However starved of CPU, a job stops after this many times its budget in wall-clock time (at least a minute). */
const WALL_CAP_FACTOR = 10;
const MIN_WALL_CAP_MS = 60_000;

interface Pending {
  id: number;
  job: ParseJob;
  resolve: (outcome: ParseOutcome) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Jobs sent to this worker, in the order it runs them: the first runs, the rest wait in its port. */
  jobs: Pending[];
  /** The deadline of the first job. */
  timer: NodeJS.Timeout | null;
  /** The worker thread's CPU clock; null: the deadline is wall-clock. */
  cpu: ThreadCpuClock | null;
  /** Resolves when the worker is ready or gone. */
  settled: Promise<void>;
  /** The young generation it was started with (youngGenerationMb; undefined: V8's default). */
  young: number | undefined;
}

/** The limits alone (an options object holds more). */
const limitsOf = ({ workers, timeoutMs, largestDocumentBytes }: ParsePoolLimits): ParsePoolLimits => ({
  workers,
  timeoutMs,
  ...(largestDocumentBytes === undefined ? {} : { largestDocumentBytes }),
});

/** Creates an empty pool; workers start when jobs arrive. Close it when done. */
export function createParsePool(options: ParsePoolOptions): ParsePool {
  let limits = limitsOf(options);
  const youngNow = () => (limits.largestDocumentBytes === undefined ? undefined : youngGenerationMb(limits.largestDocumentBytes));
  const maxQueued = options.maxQueued ?? 1_000;
  const slots = new Set<Slot>();
  const queue: Pending[] = [];
  let nextId = 1;
  let started = 0;
  let peakBusy = 0;
  let closed = false;

  const busyCount = () => [...slots].filter((slot) => slot.jobs.length > 0).length;

  /**
   * Ends a slot's running job (if any) with `outcome` and retires the slot if `retire` (or it no
   * longer fits the limits): the jobs waiting in a retired worker go back to the front of the
   * queue, unstarted, in their order.
   */
  const finish = (slot: Slot, outcome: ParseOutcome | null, retire: boolean) => {
    const job = outcome ? slot.jobs.shift() : undefined;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    if (retire || slot.young !== youngNow() || slots.size > limits.workers) {
      slots.delete(slot);
      queue.unshift(...slot.jobs.splice(0));
      void slot.worker.terminate();
    } else if (slot.jobs.length > 0) {
      startDeadline(slot);
    } else {
      slot.worker.unref();
    }
    if (job && outcome) job.resolve(outcome);
    pump();
  };

  /** Hands `pending` to the worker; it runs once the jobs before it in that worker are done. */
  const send = (slot: Slot, pending: Pending) => {
    slot.jobs.push(pending);
    slot.worker.ref();
    if (slot.jobs.length === 1) startDeadline(slot);
    peakBusy = Math.max(peakBusy, busyCount());
    try {
      const job = sendable(pending.job);
      // Only a job that runs at once may move its bytes: one left waiting goes back to the queue,
      // bytes and all, if its worker is stopped first (a job before it hit its deadline).
      slot.worker.postMessage({ id: pending.id, job } satisfies JobMessage, slot.jobs.length === 1 ? transferListOf(job) : []);
    } catch (error) {
      // Not sent (it is the last of the worker's jobs): the worker's other jobs go on.
      slot.jobs.pop();
      if (slot.jobs.length === 0) {
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = null;
        slot.worker.unref();
      }
      pending.resolve({ kind: 'failed', reason: `parse job could not be sent to a worker (${(error as Error).message})` });
    }
  };

  /**
   * Starts the budget of the slot's first job, now: when it was sent to an idle worker, or when
   * the job before it ended (the worker began it a moment earlier, which is not counted).
   */
  const startDeadline = (slot: Slot) => {
    const timeoutMs = limits.timeoutMs;
    const cpuAtStart = slot.cpu?.readMs() ?? null;
    const wallStartMs = performance.now();
    // Checked when the budget could be spent; a thread the machine kept waiting has spent less.
    // A thread that spends no CPU at all (it cannot, parsing) still stops at the wall-clock cap.
    const check = () => {
      const cpuNow = cpuAtStart === null ? null : (slot.cpu?.readMs() ?? null);
      const spentMs = cpuNow === null ? timeoutMs : cpuNow - cpuAtStart!;
      const capped = performance.now() - wallStartMs >= Math.max(WALL_CAP_FACTOR * timeoutMs, MIN_WALL_CAP_MS);
      if (spentMs < timeoutMs && !capped) return void (slot.timer = setTimeout(check, Math.max(MIN_RECHECK_MS, timeoutMs - spentMs)));
      const seconds = Number((timeoutMs / 1000).toFixed(3));
      finish(
        slot,
        { kind: 'failed', reason: `parse took longer than ${seconds} s (poll.parseTimeoutSeconds); the feed is too large or hostile` },
        true,
      );
    };
    slot.timer = setTimeout(check, timeoutMs);
  };

  const spawn = () => {
    // No heap limit: a worker reaching one can still abort the whole process (V8's "Reached
    // heap limit" is fatal on some allocation paths), so it would promise nothing. Only the
    // young generation is sized (youngGenerationMb): it never fills, it is collected.
    const young = youngNow();
    const worker = new Worker(options.workerUrl ?? WORKER_URL, young ? { resourceLimits: { maxYoungGenerationSizeMb: young } } : {});
    started++;
    let settle = () => {};
    const slot: Slot = {
      worker,
      ready: false,
      jobs: [],
      timer: null,
      cpu: null,
      settled: new Promise((resolve) => (settle = resolve)),
      young,
    };
    slots.add(slot);
    worker.unref();
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'ready') {
        slot.ready = true;
        slot.cpu = message.statPath === null ? null : openThreadCpuClock(message.statPath);
        settle();
        pump();
      } else if (slot.jobs[0]?.id === message.id) {
        finish(slot, message.outcome, false);
      }
    });
    const died = (error: Error | null) => {
      settle();
      if (!slots.has(slot)) return;
      if (!slot.ready) {
        slots.delete(slot);
        if ([...slots].some((other) => other.ready)) return pump();
        // A worker that cannot even load is a broken install, not a hostile feed: fail loudly.
        const failure = new ParsePoolError(
          `parse pool: a parse worker could not start (${error?.message ?? 'it exited'}); reinstall with "npm ci"`,
          { cause: error },
        );
        for (const pending of queue.splice(0)) pending.reject(failure);
        return;
      }
      const what = error ? error.message : 'the worker exited';
      finish(slot, { kind: 'failed', reason: `parse worker crashed (${what}); the feed is too large or hostile` }, true);
    };
    worker.on('error', died);
    worker.on('messageerror', died);
    worker.on('exit', (code) => {
      slot.cpu?.close();
      died(new Error(`exit code ${code}`));
    });
  };

  /** Idle workers first, then new workers for what is left, then each ready worker's waiting place. */
  function pump(): void {
    if (closed) return;
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (slot.ready && slot.jobs.length === 0) send(slot, queue.shift()!);
    }
    const starting = [...slots].filter((slot) => !slot.ready).length;
    for (let wanted = queue.length - starting; wanted > 0 && slots.size < limits.workers; wanted--) spawn();
    for (const slot of slots) {
      while (queue.length > 0 && slot.ready && slot.jobs.length > 0 && slot.jobs.length < JOBS_PER_WORKER) send(slot, queue.shift()!);
    }
  }

  return {
    parse(job) {
      if (closed) return Promise.reject(new ParsePoolError('parse pool: already closed'));
      if (queue.length >= maxQueued) {
        return Promise.resolve({
          kind: 'failed',
          reason: `parse queue full (${maxQueued} documents waiting); lower poll.concurrency or raise poll.parseWorkers`,
        });
      }
      return new Promise<ParseOutcome>((resolve, reject) => {
        queue.push({ id: nextId++, job, resolve, reject });
        pump();
      });
    },
    configure(next) {
      limits = limitsOf(next);
      // Idle workers over the count, or sized for another poll.maxBytes, stop; busy ones after their job.
      for (const slot of slots) {
        if (slot.jobs.length === 0 && (slots.size > limits.workers || slot.young !== youngNow())) finish(slot, null, true);
      }
      pump();
    },
    async warmUp() {
      while (!closed && slots.size < limits.workers) spawn();
      await Promise.all([...slots].map((slot) => slot.settled));
    },
    stats: () => ({
      threads: slots.size,
      ready: [...slots].filter((slot) => slot.ready).length,
      busy: busyCount(),
      queued: queue.length + [...slots].reduce((waiting, slot) => waiting + Math.max(0, slot.jobs.length - 1), 0),
      started,
      peakBusy,
    }),
    async close() {
      closed = true;
      const error = new ParsePoolError('parse pool: closed before the document was parsed');
      for (const pending of queue.splice(0)) pending.reject(error);
      const workers = [...slots];
      slots.clear();
      for (const slot of workers) {
        if (slot.timer) clearTimeout(slot.timer);
        for (const pending of slot.jobs.splice(0)) pending.reject(error);
      }
      await Promise.all(workers.map((slot) => slot.worker.terminate()));
    },
  };
}

/**
 * The job as it can be posted: an empty body (one moved to a worker already reads as empty) is a
 * fresh empty array. A detached buffer in a transfer list makes postMessage drop the message
 * without a word, and the job would wait for the wall-clock cap.
 */
function sendable(job: ParseJob): ParseJob {
  const { input } = job;
  return input.kind === 'bytes' && input.body.byteLength === 0 ? { ...job, input: { ...input, body: new Uint8Array(0) } } : job;
}

/** The body's memory when the job allows moving it and the view owns all of it (not a slice of Node's shared pool). */
function transferListOf(job: ParseJob): ArrayBuffer[] {
  const { input } = job;
  if (input.kind !== 'bytes' || !input.transfer) return [];
  const { buffer } = input.body;
  return buffer instanceof ArrayBuffer && input.body.byteOffset === 0 && input.body.byteLength === buffer.byteLength ? [buffer] : [];
}

/** Runs `body` with a pool of its own, closed after (one-shot commands that have no app). */
export async function withParsePool<T>(limits: ParsePoolLimits, body: (pool: ParsePool) => Promise<T>): Promise<T> {
  const pool = createParsePool(limits);
  try {
    return await body(pool);
  } finally {
    await pool.close();
  }
}
