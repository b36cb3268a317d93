/**
 * The CPU time one thread has used, so a parse deadline counts the CPU a feed costs, not the
 * time a busy machine makes it wait. Linux only (proc(5): /proc/thread-self and
 * /proc/PID/task/TID/stat); elsewhere these answer null and the deadline is wall-clock time.
 */
import { readFileSync, readlinkSync } from 'node:fs';

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

/** User plus system CPU time of the thread whose stat file this is, in ms; null when unreadable. */
export function threadCpuMs(statPath: string): number | null {
  try {
    const stat = readFileSync(statPath, 'latin1');
    // The command name (field 2) may contain spaces and ")": fields are counted after its last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * MS_PER_TICK : null;
  } catch {
    return null;
  }
}
