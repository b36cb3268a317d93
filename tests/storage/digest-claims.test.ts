import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createSqliteStore, STALE_CLAIM_MS, type NewRun, type Store } from '../../src/storage/store.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
let files = 0;
const NOW = new Date('2026-07-01T08:00:00Z');

/** Two stores on one file: two connections, as two processes would have. */
function twoStores(): { first: Store; second: Store; raw: BetterSqlite3.Database } {
  const path = join(dir, `claims-${files++}.db`);
  const first = createSqliteStore(path);
  const second = createSqliteStore(path);
  const raw = new BetterSqlite3(path);
  onTestFinished(async () => {
    raw.close();
    await first.close();
    await second.close();
  });
  return { first, second, raw };
}

const run = (subject: string, afterRunId: number): NewRun & { afterRunId: number } => ({
  digestId: 'daily',
  createdAt: NOW,
  afterRunId,
  fromStoryId: 0,
  toStoryId: 0,
  storyIds: [],
  subject,
  recipients: [
    { address: 'a@example.org', messageId: `<${subject}.a@x>` },
    { address: 'b@example.org', messageId: `<${subject}.b@x>` },
  ],
});

/** A pid that certainly belonged to a process on this host and is gone now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('digest run claims', () => {
  it("creates one run per cursor: a second planned from the same one gets the first one's run", async () => {
    const { first, second } = twoStores();
    const won = await first.claimDigestRun(run('first', 0));
    const lost = await second.claimDigestRun(run('second', 0));
    expect(won.kind).toBe('created');
    expect(lost).toEqual({ kind: 'taken', run: won.run });
    expect(await second.listDigestRuns('daily', 10)).toHaveLength(1);
    // The next run follows the first, once.
    const next = await second.claimDigestRun(run('next', won.run.id));
    expect(next.kind).toBe('created');
    expect(await first.claimDigestRun(run('late', won.run.id))).toEqual({ kind: 'taken', run: next.run });
    expect((await first.deliveries(next.run.id)).map((delivery) => delivery.messageId)).toEqual(['<next.a@x>', '<next.b@x>']);
  });
});

describe('digest delivery claims', () => {
  it('lets one sender claim a delivery, and nobody once it is sent', async () => {
    const { first } = twoStores();
    const { run: created } = await first.claimDigestRun(run('r', 0));
    expect(await first.claimDelivery(created.id, 'a@example.org', NOW)).toBe(true);
    // The same process (any of its stores) is sending it: not again.
    expect(await first.claimDelivery(created.id, 'a@example.org', NOW)).toBe(false);
    expect((await first.deliveries(created.id))[0]).toMatchObject({ status: 'pending', claimedAt: NOW });
    await first.markDelivery(created.id, 'a@example.org', 'sent', { sentAt: NOW, attempts: 1 });
    expect((await first.deliveries(created.id))[0]).toMatchObject({ status: 'sent', claimedAt: null });
    expect(await first.claimDelivery(created.id, 'a@example.org', new Date(NOW.getTime() + 2 * STALE_CLAIM_MS))).toBe(false);
  });

  it.each([
    { who: 'a live process on this host', owner: () => `${hostname()} ${process.ppid} 0a0b0c`, takenOver: false },
    { who: 'a process on another host (cannot be checked)', owner: () => 'elsewhere.example 1 0a0b0c', takenOver: false },
    { who: 'a process on this host that is gone', owner: () => `${hostname()} ${deadPid()} 0a0b0c`, takenOver: true },
  ])('takes over a fresh claim by $who only if it is dead ($takenOver), any claim once stale', async ({ owner, takenOver }) => {
    const { first, raw } = twoStores();
    const { run: created } = await first.claimDigestRun(run('r', 0));
    raw.prepare(`UPDATE digest_deliveries SET claim_owner = ?, claimed_at = ? WHERE address = 'b@example.org'`).run(owner(), NOW.getTime());
    expect(await first.claimDelivery(created.id, 'b@example.org', new Date(NOW.getTime() + 60_000))).toBe(takenOver);
    // Any claim goes stale in the end: a delivery is delayed, never lost.
    expect(await first.claimDelivery(created.id, 'b@example.org', new Date(NOW.getTime() + STALE_CLAIM_MS + 1))).toBe(!takenOver);
  });
});
