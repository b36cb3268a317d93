/**
 * A digest sender on PostgreSQL whose connection is cut (pg_terminate_backend, as a restart or a
 * failover does) right after the SMTP server accepted a copy, while it records the copy sent:
 * the write is tried again once the server answers, so the copy is recorded once and never
 * sent a second time, and the run ends done.
 */
import pg from 'pg';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { runDigest } from '../../src/digest/run-digest.ts';
import type { Mailer, SendOutcome } from '../../src/digest/send-digest.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { postgresBackend, schemaUrl } from '../helpers/store-backends.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const READERS = ['ann@example.org', 'bob@example.org', 'cat@example.org'];

describe('a digest sender whose PostgreSQL connection is cut while it records a copy', () => {
  it('records the copy once the store answers again: every reader gets one copy, the run ends done', async () => {
    const schema = await postgresBackend.newLocation();
    const digestApp = await startDigestApp({
      root,
      digests: `  - id: daily\n    to: [${READERS.join(', ')}]\n`,
      database: schemaUrl(schema),
    });
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 2)]);
    const smtp = await smtpServerForTest();
    const deps = await digestApp.deps(smtp.url);
    onTestFinished(() => deps.mailer.close());
    const admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
    onTestFinished(() => admin.end());

    // Once the server has accepted bob's copy, bob's delivery row is locked, so the write that
    // records it waits; that write's connection is then ended, and the lock let go.
    const real = deps.mailer;
    let cut = 0;
    const mailer: Mailer = {
      describe: real.describe,
      async send(message): Promise<SendOutcome> {
        const outcome = await real.send(message);
        if (message.to === 'bob@example.org' && cut === 0) {
          await admin.query('BEGIN');
          await admin.query(`SELECT 1 FROM ${schema}.digest_deliveries WHERE address = $1 FOR UPDATE`, [message.to]);
          void cutOffTheWriteWaiting().then(() => admin.query('ROLLBACK'));
        }
        return outcome;
      },
      close: () => real.close(),
    };
    const cutOffTheWriteWaiting = async () => {
      const adminPid = (await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      for (;;) {
        const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))', [
          adminPid,
        ]);
        if (rows[0]) {
          await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
          cut++;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const result = await runDigest(digestApp.digest('daily'), { ...deps, mailer, concurrency: 1 });
    expect(cut).toBe(1);
    expect(result.runs).toEqual([expect.objectContaining({ sent: 3, pending: 0, sending: 0, done: true })]);
    expect(smtp.messages.flatMap((mail) => mail.rcptTo).sort()).toEqual(READERS);
    const run = (await digestApp.app.store.listDigestRuns('daily', 1))[0]!;
    const deliveries = await digestApp.app.store.deliveries(run.id);
    expect(deliveries.map(({ address, status, claimedAt }) => ({ address, status, claimedAt }))).toEqual(
      READERS.map((address) => ({ address, status: 'sent', claimedAt: null })),
    );
  });
});
