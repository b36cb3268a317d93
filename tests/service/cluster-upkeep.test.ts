/**
 * What would grow for ever does not in cluster mode: a `columnwire run --roles scheduler`
 * process prunes, at start and then hourly (one scheduler per hour), the per-tick claims older
 * than a day and every other claim older than 30 days (keeping what the digest sweep and a
 * start's catch-up read), the stories published before retentionDays (90), and the copies of
 * digest runs finished before deliveryRetentionDays (30).
 */
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { createPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import type { Store } from '../../src/storage/store.ts';
import { item } from '../helpers/items.ts';
import { owedDigest } from '../helpers/owed-digest.ts';
import { plannedRun } from '../helpers/planned-run.ts';
import { message, startService } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('cluster upkeep', () => {
  it('prunes tick claims (per-tick ones after a day, digest ones after 30 days), old stories and old runs’ copies', async () => {
    const { databaseUrl, schema, config } = await owedDigest(dir, 'pruning', ['a@example.org']);
    const store = await createPostgresStore(databaseUrl);
    onTestFinished(() => store.close());
    const now = Date.now();
    const claims = {
      'poll, 2 days old': ['poll', now - 2 * DAY],
      'poll, an hour old': ['poll', now - HOUR],
      'digest-sweep, 25 hours old': ['digest-sweep', now - 25 * HOUR],
      'digest-sweep, 23 hours old': ['digest-sweep', now - 23 * HOUR],
      'digest start, 10 days old': ['digest-start:daily', now - 10 * DAY],
      'digest start, 40 days old': ['digest-start:daily', now - 40 * DAY],
      'settled digest minute, 29 days old': ['digest:daily', now - 29 * DAY],
      'settled digest minute, 31 days old': ['digest:daily', now - 31 * DAY],
    } as const;
    for (const [job, tick] of Object.values(claims)) expect(await store.claimTick(job, new Date(tick), new Date(tick))).toBe(true);
    const old = await addPrunable(store, now);
    const scheduler = startScheduler(config, databaseUrl, schema);
    expect(await scheduler.waitForLog(message('old scheduler tick claims pruned'), 'the start-up pruning')).toMatchObject({ pruned: 4 });
    expect(await scheduler.waitForLog(message('stories past retentionDays pruned'), 'the story pruning')).toMatchObject({
      pruned: 1,
      days: 90,
    });
    expect(await scheduler.waitForLog(message('digest copies of old runs pruned'), 'the copy pruning')).toMatchObject({
      pruned: 2,
      days: 30,
    });
    expect(await store.countStories()).toBe(1);
    expect(await store.deliveries(old)).toEqual([]);
    expect(await store.deliveryCounts(old)).toEqual({ sent: 2 });

    const kept = (name: keyof typeof claims) => {
      const [job, tick] = claims[name];
      return store.claimTick(job, new Date(tick), new Date()).then((claimed) => !claimed);
    };
    for (const name of Object.keys(claims) as Array<keyof typeof claims>)
      expect([name, await kept(name)]).toEqual([name, !/2 days|25 hours|40 days|31 days/.test(name)]);
    // The pruning of this hour is claimed (of the next, if the hour turned meanwhile): another scheduler prunes nothing more.
    const hours = new Set([now, Date.now()].map((ms) => Math.floor(ms / HOUR) * HOUR));
    const free = await Promise.all([...hours].map((hour) => store.claimTick('tick-pruning', new Date(hour), new Date())));
    expect(free).toContain(false);
  }, 60_000);

  it('prunes the digest copies when pruning the stories fails, and logs which part failed', async () => {
    const { databaseUrl, schema, config } = await owedDigest(dir, 'failing', ['a@example.org']);
    const store = await createPostgresStore(databaseUrl);
    onTestFinished(() => store.close());
    const old = await addPrunable(store, Date.now());
    // A real failure of the story prune: the database refuses to delete stories.
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    onTestFinished(() => admin.end());
    await admin.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'no deleting'; END$$`);
    await admin.query('CREATE TRIGGER refuse_deletes BEFORE DELETE ON stories FOR EACH ROW EXECUTE FUNCTION refuse()');

    const scheduler = startScheduler(config, databaseUrl, schema);
    expect(await scheduler.waitForLog(message('upkeep: pruning failed; the next hour tries again'), 'the failed part')).toMatchObject({
      part: 'stories',
    });
    expect(await scheduler.waitForLog(message('digest copies of old runs pruned'), 'the copy pruning')).toMatchObject({ pruned: 2 });
    expect(await store.countStories()).toBe(2);
    expect(await store.deliveries(old)).toEqual([]);
  }, 60_000);
});

/** A column past retentionDays (90), and a run finished 40 days ago with its two copies sent; the run's id. */
async function addPrunable(store: Store, now: number): Promise<number> {
  const longAgo = new Date(now - 100 * DAY);
  const state = { url: 'https://jane.example.com/feed', etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: new Date(now) };
  await store.saveFetched('jane', normalizeItems([item({ id: 'j0', published: longAgo })], longAgo), state, new Date(now), null);
  expect(await store.countStories()).toBe(2);
  const finished = new Date(now - 40 * DAY);
  const latest = (await store.latestDigestRun('daily'))!;
  const old = await store.claimDigestRun({ ...plannedRun('forty', latest.id, finished), createdAt: finished });
  if (old.kind !== 'created') throw new Error('the old run was not created');
  for (const address of ['a@example.org', 'b@example.org']) {
    const claim = (await store.claimDelivery(old.run.id, address, finished))!;
    await store.markDelivery(claim, 'sent', { sentAt: finished, attempts: 1 });
  }
  expect(await store.finishDigestRunIfDone(old.run.id, finished)).toBe(true);
  return old.run.id;
}

/** `columnwire run --roles scheduler` on the schema; mail goes nowhere. */
function startScheduler(config: string, databaseUrl: string, schema: string) {
  return startService(
    config,
    join(dir, `${schema}-data`),
    { COLUMNWIRE_DATABASE_URL: databaseUrl, COLUMNWIRE_QUEUE_SCHEMA: `${schema}_jobs`, SMTP_URL: 'smtp://127.0.0.1:1' },
    ['run', '--roles', 'scheduler'],
  );
}
