/**
 * Runs the CLI's main() in this process, with in-memory stdout and stderr: the same argv
 * parsing, dispatch and exit codes as bin/columnwire.js, without a child process's start-up
 * time. Use runCli for what only a real process shows (signals, the bin script).
 */
import { Writable } from 'node:stream';
import { main } from '../../src/main.ts';
import type { CliResult } from './run-cli.ts';

/** Runs `columnwire ...args` in-process; `env` entries are set on process.env for the run (undefined: removed). */
export async function runMain(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.entries(env).forEach(([key, value]) => setEnv(key, value));
  try {
    const code = await main(
      args,
      { stdout: sink((text) => (stdout += text)), stderr: sink((text) => (stderr += text)), stopSignal: new Promise(() => {}) },
      process.env,
    );
    return { code, stdout, stderr };
  } finally {
    Object.entries(saved).forEach(([key, value]) => setEnv(key, value));
  }
}

function setEnv(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}
