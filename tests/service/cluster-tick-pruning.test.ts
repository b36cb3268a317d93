/**
 * Scheduler tick claims do not pile up: a `columnwire run --roles scheduler` process prunes, at
 * start and then hourly (one scheduler per hour), the per-tick claims older than a day and every
 * other claim older than 30 days, and keeps what the digest sweep and a start's catch-up read.
 */
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { owedDigest } from '../helpers/owed-digest.ts';
import { message, startService } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('scheduler tick claims', () => {
  it('are pruned by a scheduler: per-tick ones after a day, digest ones after 30 days', async () => {
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

    const scheduler = startService(
      config,
      join(dir, 'pruning-data'),
      {
        COLUMNWIRE_DATABASE_URL: databaseUrl,
        COLUMNWIRE_QUEUE_SCHEMA: `${schema}_jobs`,
        SMTP_URL: 'smtp://127.0.0.1:1',
      },
      ['run', '--roles', 'scheduler'],
    );
    expect(await scheduler.waitForLog(message('old scheduler tick claims pruned'), 'the start-up pruning')).toMatchObject({ pruned: 4 });

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
});
