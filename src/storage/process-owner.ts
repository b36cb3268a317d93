/**
 * Who holds a claim on a digest delivery: this process, named by host, pid and a random
 * nonce, so a claim left by a process that died (kill -9) can be taken over at once instead
 * of after the stale-claim timeout.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

const self = `${hostname()} ${process.pid} ${randomBytes(6).toString('hex')}`;

/** This process's claim owner, "host pid nonce": one per process, so every store it opens claims as one. */
export function processOwnerId(): string {
  return self;
}

/**
 * True only when `owner` (not this process) is certainly dead: a process on this host whose pid no longer exists.
 * A reused pid reads as alive, and another host's process cannot be checked: both fall back to
 * the stale-claim timeout, which can delay a delivery but never doubles it. (Containers sharing
 * a data volume have different host names by default, so their pids are never compared.)
 */
export function isOwnerDead(owner: string): boolean {
  const [host, pidText] = owner.split(' ');
  const pid = Number(pidText);
  if (owner === self || host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  // Our own pid under another nonce: an earlier process that had it (pid 1 in a restarted container).
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
