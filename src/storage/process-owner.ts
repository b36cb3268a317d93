/**
 * Who holds a claim on a digest delivery: this process, named by host, pid, a random nonce and
 * the pid namespace it runs in, so a claim left by a process that died (kill -9) can be taken
 * over at once instead of after the stale-claim timeout.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * The space this process's pid means something in: the kernel's boot id and the pid namespace
 * (Linux: /proc/self/ns/pid, see namespaces(7)). Two containers sharing a data volume and a
 * host name are both pid 1, each in its own namespace; a pid says nothing about a process in
 * another one. Without /proc (macOS) a host has one pid space, named "host".
 */
function readPidNamespace(): string {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${boot}/${readlinkSync('/proc/self/ns/pid').replace(/\s+/g, '')}`;
  } catch {
    return 'host';
  }
}

const namespace = readPidNamespace();
const self = `${hostname()} ${process.pid} ${randomBytes(6).toString('hex')} ${namespace}`;

/** This process's claim owner, "host pid nonce namespace": one per process, so every store it opens claims as one. */
export function processOwnerId(): string {
  return self;
}

/** This process's pid namespace as claim owners name it (tests build owners of other processes with it). */
export function pidNamespace(): string {
  return namespace;
}

/**
 * True only when `owner` (not this process) is certainly dead: a process in this host's and
 * this pid namespace whose pid no longer exists. A reused pid reads as alive, and a process on
 * another host or in another pid namespace (another container) cannot be checked: all fall back
 * to the stale-claim timeout, which can delay a delivery but never doubles it.
 */
export function isOwnerDead(owner: string): boolean {
  const [host, pidText, nonce, ownerNamespace] = owner.split(' ');
  const pid = Number(pidText);
  if (owner === self || host !== hostname() || ownerNamespace !== namespace || !nonce) return false;
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // Our own pid, in our namespace, under another nonce: an earlier process that had it (now gone).
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
