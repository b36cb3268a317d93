/**
 * `columnwire run` (or another long-running command) as a real child process, with its
 * JSON log lines parsed as they arrive so a test can await an event instead of sleeping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { CLI } from './run-cli.ts';

/** One pino line: msg plus fields. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface RunningService {
  child: ChildProcess;
  /** Every JSON log line so far. */
  logs: LogLine[];
  /** Everything written to stderr so far, raw. */
  stderr(): string;
  /** Resolves with the first log line (already seen or still to come) that matches. */
  waitForLog(match: (line: LogLine) => boolean, description?: string): Promise<LogLine>;
  /** Resolves with the exit code (a signal's name when killed by one). */
  exited: Promise<number | string>;
  /** The HTTP base URL, once 'columnwire started' was logged. */
  url(): Promise<string>;
}

/** Starts `columnwire --config CONFIG --data DATA <command>`; the process is killed after the test if still running. */
export function startService(
  configPath: string,
  dataDir: string,
  env: Record<string, string> = {},
  command: string | string[] = 'run',
): RunningService {
  const child = spawn(
    process.execPath,
    [CLI, '--config', configPath, '--data', dataDir, ...(Array.isArray(command) ? command : [command])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env },
    },
  );
  const logs: LogLine[] = [];
  let raw = '';
  let partial = '';
  const waiters: Array<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  child.stderr.on('data', (chunk: Buffer) => {
    raw += chunk.toString();
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const text of lines) {
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as LogLine;
      logs.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const waitForLog = (match: (line: LogLine) => boolean, description = 'a log line') => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      waiters.push({ match, resolve });
      void exited.then((code) => reject(new Error(`service exited (${code}) before ${description}; stderr:\n${raw}`)));
    });
  };
  return {
    child,
    logs,
    exited,
    waitForLog,
    stderr: () => raw,
    url: async () =>
      String((await waitForLog((line) => line.msg === 'columnwire started' || line.msg === 'http server listening', 'it started')).url),
  };
}

/** Matches a log line by its message. */
export const message = (msg: string) => (line: LogLine) => line.msg === msg;
