/** Timing, memory and table helpers for the benchmark. Nothing here knows about feeds. */

const MB = 1024 * 1024;

/** One line of the results table; rates are omitted where they mean nothing. */
export interface Row {
  what: string;
  work: string;
  ms: number;
  /** user + system CPU time: this process (all its threads) for in-process rows, the child for whole-process ones. */
  cpuMs?: number;
  feedsPerS?: number;
  itemsPerS?: number;
  mbPerS?: number;
  peakRssMb: number;
}

export interface RssSampler {
  /** Starts a new stage: its peak begins at the current RSS. */
  reset(): void;
  /** Highest RSS seen since the last reset, sampling once more now. */
  peakMb(): number;
  stop(): void;
}

/**
 * Samples the parent's RSS every `intervalMs` on an unref'd timer. A timer cannot fire inside
 * synchronous work (a parse), so every reading also samples once at the end of the stage.
 */
export function createRssSampler(intervalMs = 20): RssSampler {
  let peak = 0;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  sample();
  return {
    reset: () => {
      peak = process.memoryUsage.rss();
    },
    peakMb: () => {
      sample();
      return peak / MB;
    },
    stop: () => clearInterval(timer),
  };
}

/** The kernel's high-water mark of this process's RSS since it started (getrusage ru_maxrss). */
export function processPeakRssMb(): number {
  return (process.resourceUsage().maxRSS * 1024) / MB;
}

/** Wall and CPU time of one stretch of work, in ms. */
export interface Span {
  ms: number;
  /** user + system CPU of this process since the start, every thread included (getrusage RUSAGE_SELF). */
  cpuMs: number;
}

/** Starts a stopwatch of wall time and this process's CPU time (process.cpuUsage counts every thread). */
export function startSpan(): () => Span {
  const started = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    return { ms, cpuMs: (used.user + used.system) / 1000 };
  };
}

/** Runs `work` as one stage: wall and CPU time in ms and the stage's sampled peak RSS. */
export async function stage<T>(sampler: RssSampler, work: () => Promise<T>): Promise<Span & { value: T; peakRssMb: number }> {
  sampler.reset();
  const stop = startSpan();
  const value = await work();
  return { value, ...stop(), peakRssMb: sampler.peakMb() };
}

/** Runs `work` `reps` times as stages: every value and time, the median wall and CPU times and the highest peak. */
export async function repeatStage<T>(sampler: RssSampler, reps: number, work: () => Promise<T>) {
  const runs: Array<Span & { value: T; peakRssMb: number }> = [];
  for (let rep = 0; rep < reps; rep++) runs.push(await stage(sampler, work));
  const times = runs.map((run) => run.ms);
  return {
    values: runs.map((run) => run.value),
    ms: median(times),
    cpuMs: median(runs.map((run) => run.cpuMs)),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    peakRssMb: Math.max(...runs.map((run) => run.peakRssMb)),
  };
}

/** Calls `worker` on every item with `concurrency` workers pulling from one queue. */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const pull = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await worker(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, pull));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Thousands separators, fixed decimals. */
export function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const toMb = (bytes: number): number => bytes / MB;

/** The results table as aligned text: text columns left, numbers right. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['what ran', 'how much', 'ms', 'CPU ms', 'feeds/s', 'items/s', 'MB/s', 'peak RSS MB'];
  const cell = (value: number | undefined, digits = 0) => (value === undefined ? '–' : fmt(value, digits));
  const body = rows.map((row) => [
    row.what,
    row.work,
    cell(row.ms),
    cell(row.cpuMs),
    cell(row.feedsPerS),
    cell(row.itemsPerS),
    cell(row.mbPerS, 1),
    cell(row.peakRssMb),
  ]);
  return formatColumns(header, body, 2);
}

/** Any table as aligned text: the first `textColumns` columns left-aligned, the rest right-aligned. */
export function formatColumns(header: readonly string[], body: ReadonlyArray<readonly string[]>, textColumns = 1): string {
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((line) => line[column]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((text, column) => (column < textColumns ? text.padEnd(widths[column]!) : text.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)].join('\n');
}
