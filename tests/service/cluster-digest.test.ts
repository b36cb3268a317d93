/**
 * A digest sent by two worker processes on one PostgreSQL, one killed with SIGKILL mid-run: the
 * run is created once and its 1,200 recipients go out in ranges; every one gets a copy, a copy
 * goes twice only if it was in flight at the kill (the documented at-least-once window), with
 * the same Message-ID, and every delivery ends sent.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { startService, message } from '../helpers/service.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { owedDigest } from '../helpers/owed-digest.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const RECIPIENTS = 1_200;
const KILL_AFTER = 250;
const dir = makeTempDir();

describe('a digest spread over two workers', () => {
  it('reaches every subscriber once through a worker killed mid-send, duplicates only what was in flight', async () => {
    // What the run will carry: a fresh column, 1,200 subscribers, and a previous run two days
    // ago, so the scheduler owes the digest the run its schedule missed as soon as it starts.
    const { schema, databaseUrl, config } = await owedDigest(
      dir,
      'feeds',
      Array.from({ length: RECIPIENTS }, (_, index) => `reader${String(index).padStart(4, '0')}@example.org`),
    );

    const smtp = await smtpServerForTest();
    const env = {
      COLUMNWIRE_DATABASE_URL: databaseUrl,
      COLUMNWIRE_QUEUE_SCHEMA: `${schema}_jobs`,
      COLUMNWIRE_CLUSTER_TICK_SECONDS: '2',
      SMTP_URL: smtp.url,
    };
    const start = (name: string, roles: string) => startService(config, join(dir, name), env, ['run', '--roles', roles]);
    const workers = [start('w1', 'worker'), start('w2', 'worker')];
    await Promise.all(workers.map((worker) => worker.waitForLog(message('columnwire started'), 'the worker started')));
    let killed = false;
    smtp.options = {
      afterMessage: ({ accepted }) => {
        if (!killed && accepted >= KILL_AFTER) {
          killed = true;
          workers[0]!.child.kill('SIGKILL');
        }
      },
    };
    const scheduler = start('s', 'scheduler');
    await scheduler.waitForLog(message('digest run created; its recipients are queued in ranges'), 'the run was created');

    const started = Date.now();
    const recipients = () => new Set(smtp.messages.flatMap((mail) => mail.rcptTo));
    while (recipients().size < RECIPIENTS) {
      if (Date.now() - started > 90_000) throw new Error(`only ${recipients().size} of ${RECIPIENTS} recipients reached`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(killed).toBe(true);
    const copies = new Map<string, string[]>();
    for (const mail of smtp.messages)
      for (const to of mail.rcptTo) copies.set(to, [...(copies.get(to) ?? []), mail.parsed.messageId ?? '']);
    const twice = [...copies.values()].filter((ids) => ids.length > 1);
    console.log(
      `cluster digest: ${RECIPIENTS} recipients, ${smtp.messages.length} messages, ${twice.length} sent twice (in flight at the kill)`,
    );
    // At most what the killed worker had in flight: 2 range jobs x 5 messages at once.
    expect(twice.length).toBeLessThanOrEqual(10);
    for (const ids of twice) expect(new Set(ids).size).toBe(1);

    const check = await createPostgresStore(databaseUrl);
    try {
      let run = (await check.listDigestRuns('daily', 1))[0]!;
      for (let waited = 0; run.status !== 'done' && waited < 30_000; waited += 200) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        run = (await check.listDigestRuns('daily', 1))[0]!;
      }
      expect(run.status).toBe('done');
      const deliveries = await check.deliveries(run.id);
      expect(deliveries).toHaveLength(RECIPIENTS);
      expect(deliveries.filter((delivery) => delivery.status !== 'sent')).toEqual([]);
      expect((await check.listDigestRuns('daily', 10)).length).toBe(2);
    } finally {
      await check.close();
    }
  }, 150_000);
});
