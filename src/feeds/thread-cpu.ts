/**
 * The CPU time one thread has used, so a parse deadline counts the CPU a feed costs, not the
 * time a busy machine makes it wait. Linux only (proc(5): /proc/thread-self and
 * /proc/PID/task/TID/stat); elsewhere these answer null and the deadline is wall-clock time.
 */
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';

/** proc(5) reports times in clock ticks; USER_HZ is 100 on every Linux port Node runs on. */
const MS_PER_TICK = 10;

/** The stat file of the calling thread, readable from any thread of the process; null off Linux. */
export function ownThreadStatPath(): string | null {
  if (process.platform !== 'linux') return null;
  try {
    // "/proc/thread-self" links to "PID/task/TID".
    return `/proc/${readlinkSync('/proc/thread-self')}/stat`;
  } catch {
    return null;
  }
}

/** A thread's CPU clock, its stat file kept open. Close it when the thread is gone. */
export interface ThreadCpuClock {
  /** User plus system CPU time in ms; null once unreadable (the thread has ended). */
  readMs(): number | null;
  close(): void;
}

/**
 * Opens the CPU clock of the thread whose stat file this is; null when it cannot be opened.
 * A reading is one pread of the open file: reading the file whole each time would open, stat
 * and close it too (40 against 6 µs here, once per parsed document on the main thread).
 */
export function openThreadCpuClock(statPath: string): ThreadCpuClock | null {
  let fd: number | null;
  try {
    fd = openSync(statPath, 'r');
  } catch {
    return null;
  }
  // A stat line is under 400 bytes; the command name in it is at most 64.
  const buffer = Buffer.alloc(1024);
  return {
    readMs() {
      if (fd === null) return null;
      try {
        return cpuMsOf(buffer.toString('latin1', 0, readSync(fd, buffer, 0, buffer.length, 0)));
      } catch {
        return null;
      }
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

function cpuMsOf(stat: string): number | null {
  // The command name (field 2) may contain spaces and ")": fields are counted after its last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * MS_PER_TICK : null;
}
