/**
 * The scale bench's processes: `columnwire run` children (bin/columnwire.js → dist/main.js), and
 * a sampler reading each tracked pid's CPU time and RSS high-water mark from /proc every second,
 * so a process killed with SIGKILL still counts (up to its last sample). Linux only, as the
 * bench's machine class is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { BIN } from './process-runs.ts';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on every Linux we run). */
const CLOCK_TICKS = 100;

/** One `columnwire` child. */
export interface Columnwire {
  name: string;
  pid: number;
  child: ChildProcess;
  /** The exit code, or the signal's name. */
  exited: Promise<number | string>;
  /** Set before the bench signals it, so an exit it caused is not reported as a crash. */
  expectedExit: boolean;
}

/** Starts `columnwire --config C --data D ...args` with stderr (its JSON log) appended to `logPath`. */
export function startColumnwire(
  name: string,
  options: { configPath: string; dataDir: string; args: string[]; env: Record<string, string>; logPath: string },
): Columnwire {
  const log = openSync(options.logPath, 'a');
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'warn', ...options.env };
  delete env.HOST;
  delete env.PORT;
  const child = spawn(process.execPath, [BIN, '--config', options.configPath, '--data', options.dataDir, ...options.args], {
    stdio: ['ignore', 'ignore', log],
    env,
  });
  closeSync(log);
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve(code ?? signal ?? -1);
    }),
  );
  return { name, pid: child.pid!, child, exited, expectedExit: false };
}

/** Stops `process` with SIGTERM (its graceful path), SIGKILL after `graceMs`; resolves with how it ended. */
export async function stopColumnwire(running: Columnwire, graceMs = 15_000): Promise<number | string> {
  running.expectedExit = true;
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), graceMs);
  const code = await running.exited;
  clearTimeout(timer);
  return code;
}

/** CPU and memory of one tracked process, as last sampled. */
interface Usage {
  group: string;
  cpuMs: number;
  peakRssMb: number;
}

/** Samples /proc for tracked pids; groups add up their processes' CPU. */
export interface ProcSampler {
  track(pid: number, group: string): void;
  /** Samples every tracked pid now. */
  sample(): void;
  /** CPU seconds summed per group (every process ever tracked in it, dead ones up to their last sample). */
  cpuMs(group: string): number;
  /** The highest RSS high-water mark of one process of the group. */
  peakRssMb(group: string): number;
  stop(): void;
}

/** Reads utime+stime (ms) and VmHWM (MB) of `pid`; null when it is gone. */
export function readProc(pid: number): { cpuMs: number; peakRssMb: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwmKb = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    return { cpuMs: (ticks * 1000) / CLOCK_TICKS, peakRssMb: hwmKb / 1024 };
  } catch {
    return null;
  }
}

/** Starts sampling every `intervalMs`. */
export function createProcSampler(intervalMs = 1_000): ProcSampler {
  const usage = new Map<number, Usage>();
  const sample = () => {
    for (const [pid, known] of usage) {
      const now = readProc(pid);
      if (!now) continue;
      known.cpuMs = Math.max(known.cpuMs, now.cpuMs);
      known.peakRssMb = Math.max(known.peakRssMb, now.peakRssMb);
    }
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  const ofGroup = (group: string) => [...usage.values()].filter((entry) => entry.group === group);
  return {
    track(pid, group) {
      if (!usage.has(pid)) usage.set(pid, { group, cpuMs: 0, peakRssMb: 0 });
      sample();
    },
    sample,
    cpuMs: (group) => ofGroup(group).reduce((sum, entry) => sum + entry.cpuMs, 0),
    peakRssMb: (group) => Math.max(0, ...ofGroup(group).map((entry) => entry.peakRssMb)),
    stop: () => clearInterval(timer),
  };
}
