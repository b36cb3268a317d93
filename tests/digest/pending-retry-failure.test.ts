/**
 * A retry of pending copies that fails (here: another process held SQLite's write lock past the
 * 15 s busy timeout, as a long `subscribers import` or an operator's sqlite3 session does) is
 * logged and tried again later, doubling as a retry that leaves copies pending. It was neither:
 * the failure went unlogged and no retry followed, so the copies waited for the digest's next
 * scheduled run, a day or a week later.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { column, startDigestApp } from '../helpers/digest-app.ts';
import { runLoggedDigest } from '../helpers/logged-digest.ts';
import { startService } from '../helpers/service.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

describe('a retry of pending copies that fails', () => {
  it('is logged and tried again, and the copy is sent once the store and the relay take it', async () => {
    const digestApp = await startDigestApp({
      root,
      now: null,
      digests: `  - id: daily\n    schedule: "0 7 1 1 *"\n    to: [ann@example.org]\n`,
    });
    await digestApp.save('jane', [column('j1', new Date(), 1)]);
    // The relay refuses the sender until the test says (a copy refused so is left pending at once, with no retry within the run).
    let refusing = true;
    const smtp = await smtpServerForTest({
      rejectSender: () => (refusing ? { code: 550, message: '5.7.1 Sender address rejected: not owned by user' } : null),
    });
    const { result } = await runLoggedDigest(digestApp, smtp.url);
    expect(result.runs).toEqual([expect.objectContaining({ sent: 0, pending: 1, done: false })]);

    const yaml = readFileSync(digestApp.configPath, 'utf8').replace(/^mail:\n/m, 'mail:\n  retryPendingSeconds: 1\n');
    writeFileSync(digestApp.configPath, yaml);
    const service = startService(digestApp.configPath, digestApp.dataDir, { SMTP_URL: smtp.url });
    await service.waitForLog((line) => line.msg === 'digest copies still pending; trying them again later', 'a retry');
    // The retry, a second later, finds the store locked by another process.
    const writer = new BetterSqlite3(join(digestApp.dataDir, 'columnwire.db'));
    writer.exec('BEGIN IMMEDIATE');
    try {
      const failed = await service.waitForLog((line) => line.msg === 'trying pending digest copies again failed', 'the failed retry');
      expect(failed).toMatchObject({ digestId: 'daily' });
    } finally {
      writer.exec('COMMIT');
      writer.close();
    }
    const delivered = new Promise<void>((resolve) => {
      smtp.options.afterMessage = ({ accepted }) => {
        if (accepted === 1) resolve();
      };
    });
    refusing = false;
    await delivered;
    await smtp.settled();
    expect(smtp.messagesTo('ann@example.org')).toHaveLength(1);
  }, 40_000);
});
