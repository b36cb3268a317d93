/** Digest run and delivery claims (fencing tokens, stale takeover): the same contract on SQLite and on PostgreSQL. */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it, onTestFinished } from 'vitest';
import { pidNamespace } from '../../src/storage/process-owner.ts';
import { STALE_CLAIM_MS, type DeliveryClaim, type Store } from '../../src/storage/store.ts';
import { plannedRun } from '../helpers/planned-run.ts';
import { storeBackends } from '../helpers/store-backends.ts';

const NOW = new Date('2026-07-01T08:00:00Z');
const at = (ms: number): Date => new Date(NOW.getTime() + ms);

const run = (subject: string, afterRunId: number) => plannedRun(subject, afterRunId, NOW);

/** A pid that certainly belonged to a process on this host and is gone now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe.each(storeBackends)('the $name store', (backend) => {
  /** Two stores on one location: two connections, as two processes would have. */
  async function twoStores(): Promise<{ first: Store; second: Store; location: string }> {
    const location = await backend.newLocation();
    const first = await backend.open(location);
    const second = await backend.open(location);
    onTestFinished(async () => {
      await first.close();
      await second.close();
    });
    return { first, second, location };
  }

  /** Stores on one location owned by processes on hosts this one cannot check (only the timeout frees their claims). */
  async function processes(names: string[]): Promise<Store[]> {
    const location = await backend.newLocation();
    const stores = await Promise.all(names.map((name) => backend.open(location, { claimOwner: `${name}.example 1 0a0b0c host` })));
    onTestFinished(async () => void (await Promise.all(stores.map((store) => store.close()))));
    return stores;
  }

  describe('digest run claims', () => {
    it("creates one run per cursor: a second planned from the same one gets the first one's run", async () => {
      const { first, second } = await twoStores();
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

  describe('bounce reports', () => {
    it('count once per copy whose Message-ID they return, add up across accepted copies, and mark the address at the threshold', async () => {
      const { first: store } = await twoStores();
      const one = (await store.claimDigestRun(run('one', 0))).run;
      const two = (await store.claimDigestRun(run('two', one.id))).run;
      await store.claimDigestRun(run('three', two.id));
      const report = (ids: string[], when = NOW) => store.recordBounceReport('A@example.org', ids, 'failed 5.1.1', when, 3);
      expect(await report(['<forged@x>', '<one.b@x>'])).toBe('unknown'); // b's copy, not a's
      expect(await report(['<dsn-own-id@mta>', '<one.a@x>'])).toBe('counted');
      expect(await report(['<one.a@x>'])).toBe('duplicate');
      // The next copy is accepted by a relay: the reports are not reset by it.
      await store.clearFailures('a@example.org');
      expect(await report(['<two.a@x>'])).toBe('counted');
      expect(await store.bouncingAddresses()).toEqual(new Set());
      expect(await report(['<three.a@x>'])).toBe('bouncing');
      expect(await store.bouncingAddresses()).toEqual(new Set(['a@example.org']));
      expect(await store.listBounces()).toEqual([
        expect.objectContaining({ address: 'a@example.org', failures: 3, lastError: 'bounce report: failed 5.1.1' }),
      ]);
      expect((await store.deliveries(one.id)).find((delivery) => delivery.address === 'a@example.org')).toMatchObject({ status: 'failed' });
      expect((await store.deliveries(one.id)).find((delivery) => delivery.address === 'b@example.org')).toMatchObject({
        status: 'pending',
      });
      // Cleared by the operator: a report starts from one again.
      expect(await store.clearBounce('a@example.org')).toBe(true);
      expect(await store.bouncingAddresses()).toEqual(new Set());
    });

    it('start again from one when the last failure is more than 30 days old', async () => {
      const { first: store } = await twoStores();
      const one = (await store.claimDigestRun(run('one', 0))).run;
      const two = (await store.claimDigestRun(run('two', one.id))).run;
      await store.claimDigestRun(run('three', two.id));
      await store.recordBounceReport('b@example.org', ['<one.b@x>'], 'failed 5.1.1', NOW, 3);
      await store.recordBounceReport('b@example.org', ['<two.b@x>'], 'failed 5.1.1', at(86_400_000), 3);
      expect(await store.recordBounceReport('b@example.org', ['<three.b@x>'], 'failed 5.1.1', at(40 * 86_400_000), 3)).toBe('counted');
      expect((await store.listBounces())[0]).toMatchObject({ failures: 1 });
    });
  });

  describe('digest delivery claims', () => {
    it('lets one sender claim a delivery, and nobody once it is sent', async () => {
      const { first } = await twoStores();
      const { run: created } = await first.claimDigestRun(run('r', 0));
      const claim = await first.claimDelivery(created.id, 'a@example.org', NOW);
      expect(claim).not.toBeNull();
      // The same process (any of its stores) is sending it: not again.
      expect(await first.claimDelivery(created.id, 'a@example.org', NOW)).toBeNull();
      expect((await first.deliveries(created.id))[0]).toMatchObject({ status: 'pending', claimedAt: NOW });
      expect(await first.markDelivery(claim!, 'sent', { sentAt: NOW, attempts: 1 })).toBe(true);
      expect((await first.deliveries(created.id))[0]).toMatchObject({ status: 'sent', claimedAt: null });
      expect(await first.claimDelivery(created.id, 'a@example.org', at(2 * STALE_CLAIM_MS))).toBeNull();
    });

    it('lets a process take its own claim again once the attempt that made it ended, never while it is under way', async () => {
      const { first, second } = await twoStores();
      const { run: created } = await first.claimDigestRun(run('r', 0));
      const cutOff = (await first.claimDelivery(created.id, 'a@example.org', NOW))!;
      // Its result write was cut off with the connection and given up on: the claim stays, held by this process.
      first.endDeliveryAttempt(cutOff);
      expect((await second.deliveries(created.id))[0]).toMatchObject({ status: 'pending', claimedAt: NOW });
      const again = await first.claimDelivery(created.id, 'a@example.org', at(60_000));
      expect(again).toMatchObject({ owner: cutOff.owner, token: cutOff.token + 1 });
      // Under way again: not a third time, and the attempt before it can no longer write.
      expect(await first.claimDelivery(created.id, 'a@example.org', at(60_000))).toBeNull();
      expect(await first.markDelivery(cutOff, 'sent', { sentAt: NOW, attempts: 1 })).toBe(false);
      expect(await first.markDelivery(again!, 'sent', { sentAt: at(60_000), attempts: 1 })).toBe(true);
      expect((await first.deliveries(created.id))[0]).toMatchObject({ status: 'sent', sentAt: at(60_000), claimedAt: null });
    });

    it("keeps a later attempt of this process under way when an earlier one's end comes after it took the copy again", async () => {
      const { first } = await twoStores();
      const { run: created } = await first.claimDigestRun(run('r', 0));
      // Attempt 1: the server said 4xx, so the copy is recorded pending (which ends attempt 1).
      const earlier = (await first.claimDelivery(created.id, 'a@example.org', NOW))!;
      expect(await first.markDelivery(earlier, 'pending', { error: '451 try later' })).toBe(true);
      // Attempt 2 (another job of this run in this process) takes the copy and is sending it...
      const later = await first.claimDelivery(created.id, 'a@example.org', NOW);
      expect(later).not.toBeNull();
      // ...when attempt 1's sender ends its attempt (sendDeliveries' finally), or writes late.
      first.endDeliveryAttempt(earlier);
      expect(await first.markDelivery(earlier, 'sent', { sentAt: NOW, attempts: 1 })).toBe(false);
      // Attempt 2 is still under way: a third attempt would send a second copy.
      expect(await first.claimDelivery(created.id, 'a@example.org', NOW)).toBeNull();
      expect(await first.markDelivery(later!, 'sent', { sentAt: NOW, attempts: 1 })).toBe(true);
    });

    it.each(['pending', 'sent', 'failed'] as const)(
      "ignores a late '%s' by a sender taken over while paused past the stale timeout: one copy, never resurrected",
      async (late) => {
        // Three processes (owners on hosts this one cannot check, so only the timeout frees a claim).
        const [a, b, c] = await processes(['a', 'b', 'c']);
        const { run: created } = await a!.claimDigestRun(run('r', 0));
        const heldByA = (await a!.claimDelivery(created.id, 'a@example.org', NOW))!;
        expect(heldByA).not.toBeNull();
        expect(await b!.claimDelivery(created.id, 'a@example.org', at(1_000))).toBeNull();
        // A is paused (SIGSTOP, suspend) past the timeout; B takes the claim over and sends.
        const heldByB = (await b!.claimDelivery(created.id, 'a@example.org', at(STALE_CLAIM_MS + 60_000)))!;
        expect(heldByB).not.toBeNull();
        expect(heldByB.token).toBeGreaterThan(heldByA.token);
        // A wakes: its check right before SMTP finds the claim gone, so it sends nothing...
        expect(await a!.renewDeliveryClaim(heldByA, at(STALE_CLAIM_MS + 61_000))).toBe(false);
        // ...and a result it writes, before or after B's, changes nothing.
        expect(await a!.markDelivery(heldByA, late, { error: 'late', attempts: 1 })).toBe(false);
        expect(await b!.markDelivery(heldByB, 'sent', { sentAt: at(STALE_CLAIM_MS + 62_000), attempts: 1 })).toBe(true);
        expect(await a!.markDelivery(heldByA, late, { error: 'late', sentAt: at(STALE_CLAIM_MS + 63_000), attempts: 1 })).toBe(false);
        expect((await c!.deliveries(created.id))[0]).toMatchObject({
          status: 'sent',
          attempts: 1,
          lastError: null,
          sentAt: at(STALE_CLAIM_MS + 62_000),
        });
        // So no third sender finds it pending again.
        expect(await c!.claimDelivery(created.id, 'a@example.org', at(3 * STALE_CLAIM_MS))).toBeNull();
        // B's own claim is spent too: a stale copy of it cannot write a second time.
        expect(await b!.markDelivery(heldByB, 'pending', { error: 'again' })).toBe(false);
      },
    );

    it('keeps a renewed claim (a slow but healthy send) from going stale', async () => {
      const [a, b] = await processes(['a', 'b']);
      const { run: created } = await a!.claimDigestRun(run('r', 0));
      const claim: DeliveryClaim = (await a!.claimDelivery(created.id, 'b@example.org', NOW))!;
      expect(await a!.renewDeliveryClaim(claim, at(10 * 60_000))).toBe(true);
      // Stale counted from the claim it would be (16 min), fresh counted from the renewal (6 min).
      expect(await b!.claimDelivery(created.id, 'b@example.org', at(16 * 60_000))).toBeNull();
      expect(await a!.markDelivery(claim, 'sent', { sentAt: at(17 * 60_000), attempts: 1 })).toBe(true);
      expect(await b!.claimDelivery(created.id, 'b@example.org', at(10 * 60_000 + STALE_CLAIM_MS + 1))).toBeNull();
    });

    it('still takes over a claim not renewed for the stale timeout', async () => {
      const [a, b] = await processes(['a', 'b']);
      const { run: created } = await a!.claimDigestRun(run('r', 0));
      const claim = (await a!.claimDelivery(created.id, 'b@example.org', NOW))!;
      expect(await a!.renewDeliveryClaim(claim, at(10 * 60_000))).toBe(true);
      expect(await b!.claimDelivery(created.id, 'b@example.org', at(10 * 60_000 + STALE_CLAIM_MS + 1))).not.toBeNull();
    });

    it.each([
      { who: 'a live process on this host', owner: () => `${hostname()} ${process.ppid} 0a0b0c ${pidNamespace()}`, takenOver: false },
      {
        who: 'a process on another host (cannot be checked)',
        owner: () => `elsewhere.example 1 0a0b0c ${pidNamespace()}`,
        takenOver: false,
      },
      { who: 'a process on this host that is gone', owner: () => `${hostname()} ${deadPid()} 0a0b0c ${pidNamespace()}`, takenOver: true },
      {
        who: 'an earlier process with our pid in our pid namespace (it is gone: the pid is ours)',
        owner: () => `${hostname()} ${process.pid} 0a0b0c ${pidNamespace()}`,
        takenOver: true,
      },
      {
        // Two containers on one data volume with one host name are both pid 1: a pid in another
        // namespace says nothing about the process, alive or not.
        who: 'a process with our pid and host name in another pid namespace (another container)',
        owner: () => `${hostname()} ${process.pid} 0a0b0c 00000000-boot/pid:[4026532999]`,
        takenOver: false,
      },
      {
        who: 'a gone pid in another pid namespace',
        owner: () => `${hostname()} ${deadPid()} 0a0b0c 00000000-boot/pid:[4026532999]`,
        takenOver: false,
      },
      { who: 'an owner naming no pid namespace (cannot be checked)', owner: () => `${hostname()} ${deadPid()} 0a0b0c`, takenOver: false },
    ])('takes over a fresh claim by $who only if it is dead ($takenOver), any claim once stale', async ({ owner, takenOver }) => {
      const { first, location } = await twoStores();
      const { run: created } = await first.claimDigestRun(run('r', 0));
      await backend.exec(location, `UPDATE digest_deliveries SET claim_owner = ?, claimed_at = ? WHERE address = 'b@example.org'`, [
        owner(),
        NOW.getTime(),
      ]);
      expect((await first.claimDelivery(created.id, 'b@example.org', at(60_000))) !== null).toBe(takenOver);
      // Any claim goes stale in the end: a delivery is delayed, never lost.
      expect((await first.claimDelivery(created.id, 'b@example.org', at(STALE_CLAIM_MS + 1))) !== null).toBe(!takenOver);
    });
  });
});
