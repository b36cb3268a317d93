/**
 * `columnwire run` in a child process for the fault-injection suite: its stderr JSON log lines
 * parsed as they come, its memory sampled from /proc, and `until`, which waits for a condition
 * re-checked on every event (a log line, a request answered, a message accepted) instead of sleeping.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import { CLI } from '../helpers/run-cli.ts';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  pid: number;
  logs: LogLine[];
  /** Log lines with this message. */
  count(msg: string): number;
  exited: Promise<ServiceExit>;
  hasExited(): boolean;
  /** Peak VmRSS seen by sampling and the kernel's VmHWM at the last sample, in KiB. */
  memory: { peakRssKiB: number; hwmKiB: number };
  /** Reads /proc once more now (call just before killing). */
  sampleMemory(): void;
  /** Sends `signal` and waits for the exit. */
  stop(signal: NodeJS.Signals): Promise<ServiceExit>;
  /** The last lines of stderr, for failure messages. */
  tail(lines?: number): string;
}

/** Starts `columnwire --config CONFIG --data DATA run`; every stderr line emits 'change' on `changes`. */
export function startService(options: {
  config: string;
  data: string;
  env: Record<string, string>;
  changes: EventEmitter;
}): ServiceProcess {
  const child = spawn(process.execPath, [CLI, '--config', options.config, '--data', options.data, 'run'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const logs: LogLine[] = [];
  const raw: string[] = [];
  let partial = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      raw.push(line);
      if (raw.length > 400) raw.shift();
      try {
        const parsed = JSON.parse(line) as LogLine;
        if (typeof parsed.msg === 'string') logs.push(parsed);
      } catch {
        // "columnwire: SIGTERM received ..." and other plain lines
      }
    }
    options.changes.emit('change');
  });
  let exitedNow = false;
  const exited = new Promise<ServiceExit>((resolve) =>
    child.on('exit', (code, signal) => {
      exitedNow = true;
      clearInterval(sampler);
      resolve({ code, signal });
      options.changes.emit('change');
    }),
  );
  const memory = { peakRssKiB: 0, hwmKiB: 0 };
  const sampleMemory = () => {
    if (exitedNow || child.pid === undefined) return;
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      memory.peakRssKiB = Math.max(memory.peakRssKiB, rss);
      memory.hwmKiB = Math.max(memory.hwmKiB, hwm);
    } catch {
      // exited between the check and the read
    }
  };
  const sampler = setInterval(sampleMemory, 200);
  return {
    pid: child.pid ?? -1,
    logs,
    count: (msg) => logs.filter((line) => line.msg === msg).length,
    exited,
    hasExited: () => exitedNow,
    memory,
    sampleMemory,
    stop(signal) {
      sampleMemory();
      if (!exitedNow) child.kill(signal);
      return exited;
    },
    tail: (lines = 30) => raw.slice(-lines).join('\n'),
  };
}

/**
 * Resolves once `condition()` holds, re-checking it on every 'change' of `changes` (and every
 * `pollMs`, for conditions no event announces, like a row in another process's database);
 * rejects after `timeoutMs` with `what` and `describe()` in the message.
 */
export function until(
  changes: EventEmitter,
  condition: () => boolean,
  what: string,
  options: { timeoutMs: number; pollMs?: number; describe?: () => string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      let done: boolean;
      try {
        done = condition();
      } catch (error) {
        finish();
        reject(error instanceof Error ? error : new Error(`${what}: the condition threw`, { cause: error }));
        return;
      }
      if (!done) return;
      finish();
      resolve();
    };
    const deadline = setTimeout(() => {
      finish();
      reject(
        new Error(
          `fault test: timed out after ${options.timeoutMs} ms waiting for ${what}${options.describe ? `\n${options.describe()}` : ''}`,
        ),
      );
    }, options.timeoutMs);
    const ticker = options.pollMs ? setInterval(check, options.pollMs) : null;
    const finish = () => {
      clearTimeout(deadline);
      if (ticker) clearInterval(ticker);
      changes.off('change', check);
    };
    changes.on('change', check);
    check();
  });
}
