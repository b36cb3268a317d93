/**
 * The outbox (no SMTP_URL): each copy one .eml file that mailparser reads, named uniquely, and
 * never seen half-written. A folder that cannot be written keeps the copies pending with an
 * error naming it, as an unreachable relay does, and `digest --status` says why.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const RECIPIENTS = ['ann@example.org', 'a+b@example.org', 'a_b@example.org'];

describe('the outbox', () => {
  it('keeps every copy pending, naming the folder, while it cannot be written; then writes one .eml per recipient', async () => {
    const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: [${RECIPIENTS.join(', ')}]\n` });
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1, { title: 'Ünïcode in the outbox' })]);
    const outbox = join(digestApp.dataDir, 'outbox');
    mkdirSync(digestApp.dataDir, { recursive: true });
    writeFileSync(outbox, 'a file where the outbox folder should be');

    const first = await digestApp.run('daily', null);
    expect(first.runs).toEqual([expect.objectContaining({ sent: 0, failed: 0, pending: 3, done: false })]);
    const runId = first.runs[0]!.runId;
    for (const delivery of await digestApp.app.store.deliveries(runId)) {
      expect(delivery.status).toBe('pending');
      expect(delivery.lastError).toContain(outbox);
    }
    const status = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest', '--status']);
    expect(status.stdout).toMatch(/0 sent, 0 failed, 3 pending/);
    expect(status.stdout).toContain(`ann@example.org: pending: `);

    rmSync(outbox);
    const second = await digestApp.run('daily', null);
    expect(second.runs).toEqual([expect.objectContaining({ runId, sent: 3, pending: 0, done: true })]);
    const names = readdirSync(outbox);
    expect(names).toHaveLength(3);
    expect(names.every((name) => name.endsWith('.eml') && !name.startsWith('.'))).toBe(true);
    const deliveries = await digestApp.app.store.deliveries(runId);
    const mails = await Promise.all(names.map((name) => simpleParser(readFileSync(join(outbox, name)))));
    expect(mails.map((mail) => mail.messageId).sort()).toEqual(deliveries.map((delivery) => delivery.messageId).sort());
    for (const mail of mails) {
      expect(mail.subject).toBe('Columns for 1 Jul 2026 (1)');
      expect(mail.text).toContain('Ünïcode in the outbox');
    }
  });
});
