/**
 * Whole processes, as users run them: `node bin/columnwire.js …` started anew for every run
 * (start-up counts for cron users), however bin/ loads the program. Wall time is measured here,
 * from spawn to exit; user+system CPU and the kernel's max RSS come from `/usr/bin/time -v`
 * (GNU time, waiting on the child). Without /usr/bin/time, or with BENCH_TIMER=preload, the
 * child is started as `node --import bench/rusage-at-exit.mjs …` instead and writes its own
 * process.resourceUsage() at exit: the same figures, from inside.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './measure.ts';

/** bin/columnwire.js, run as is. */
export const BIN = fileURLToPath(new URL('../bin/columnwire.js', import.meta.url));
const GNU_TIME = '/usr/bin/time';
const PRELOAD = pathToFileURL(fileURLToPath(new URL('./rusage-at-exit.mjs', import.meta.url))).href;

/** How child processes are measured in this run. */
export const TIMER: 'gnu-time' | 'preload' = process.env.BENCH_TIMER === 'preload' || !existsSync(GNU_TIME) ? 'preload' : 'gnu-time';

/** Says how child processes are measured, for the report. */
export function describeTimer(): string {
  return TIMER === 'gnu-time'
    ? `${GNU_TIME} -v (user+system CPU and max RSS of the child; wall time from spawn to exit, measured by the bench)`
    : `node --import bench/rusage-at-exit.mjs (${existsSync(GNU_TIME) ? 'BENCH_TIMER=preload' : `no ${GNU_TIME} here`}: the child's own process.resourceUsage() at exit; wall time from spawn to exit)`;
}

/** One measured child process. */
export interface ProcessRun {
  wallMs: number;
  /** user + system CPU of the child, every thread. */
  cpuMs: number;
  maxRssMb: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

let runs = 0;

/** Runs `node ...args` once and measures it; `scratchDir` holds the timer's report for the moment. */
export async function runNode(args: readonly string[], scratchDir: string): Promise<ProcessRun> {
  const report = join(scratchDir, `rusage-${process.pid}-${runs++}.txt`);
  const [command, argv, env] =
    TIMER === 'gnu-time'
      ? [GNU_TIME, ['-v', '-o', report, process.execPath, ...args], process.env]
      : [process.execPath, ['--import', PRELOAD, ...args], { ...process.env, BENCH_RUSAGE_FILE: report }];
  const started = performance.now();
  const { code, stdout, stderr } = await collect(command, argv, env);
  const wallMs = performance.now() - started;
  const text = await readFile(report, 'utf8').catch(() => '');
  await rm(report, { force: true });
  const figure = (label: string): number => {
    const match = new RegExp(`${label}: ([\\d.]+)`).exec(text);
    if (!match) throw new Error(`bench: no "${label}" for \`node ${args.join(' ')}\` (exit ${code}); stderr: ${stderr.slice(0, 500)}`);
    return Number(match[1]);
  };
  return {
    wallMs,
    cpuMs: (figure('User time \\(seconds\\)') + figure('System time \\(seconds\\)')) * 1000,
    maxRssMb: figure('Maximum resident set size \\(kbytes\\)') / 1024,
    code,
    stdout,
    stderr,
  };
}

function collect(
  command: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', (cause) => reject(new Error(`bench: cannot run ${command}`, { cause })));
    child.once('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

/** `reps` measured runs after one unmeasured warm-up (page cache, not JIT: every run is a new process). */
export async function runNodeRepeated(args: readonly string[], scratchDir: string, reps: number) {
  await runNode(args, scratchDir);
  const all: ProcessRun[] = [];
  for (let rep = 0; rep < reps; rep++) all.push(await runNode(args, scratchDir));
  return summarizeRuns(all);
}

/** Medians of wall and CPU time over `all`, and the highest max RSS. */
export function summarizeRuns(all: readonly ProcessRun[]) {
  return {
    runs: all,
    wallMs: median(all.map((run) => run.wallMs)),
    cpuMs: median(all.map((run) => run.cpuMs)),
    maxRssMb: Math.max(...all.map((run) => run.maxRssMb)),
  };
}

export type RepeatedRun = ReturnType<typeof summarizeRuns>;
