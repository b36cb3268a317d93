/**
 * `digest --status` lists at most 20 copies not sent per run: the failed ones first, then the
 * pending, then those skipped for a reader's choices, so a run where many readers chose nothing
 * in it still shows why its copies failed.
 */
import { describe, expect, it } from 'vitest';
import type { DeliveryStatus } from '../../src/model.ts';
import { DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { plannedRun } from '../helpers/planned-run.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const DIGESTS = `  - id: daily
    to: [nobody@example.org]
`;

describe('digest --status errors', () => {
  it('shows the failed copies before the skipped ones, however many readers were skipped', async () => {
    const digestApp = await startDigestApp({ root, digests: DIGESTS });
    const { store } = digestApp.app;
    const skipped = Array.from({ length: 25 }, (_, index) => `a${String(index).padStart(2, '0')}@example.org`);
    const created = await store.claimDigestRun(plannedRun('Columns', 0, DIGEST_NOW, [...skipped, 'zz@example.org']));
    if (created.kind !== 'created') throw new Error('the run was not created');
    const mark = async (address: string, status: DeliveryStatus, error: string) => {
      const claim = await store.claimDelivery(created.run.id, address, DIGEST_NOW);
      if (!claim) throw new Error(`no claim on ${address}`);
      expect(await store.markDelivery(claim, status, { error })).toBe(true);
    };
    for (const address of skipped) await mark(address, 'skipped', 'nothing this reader chose is in this run');
    await mark('zz@example.org', 'failed', '550 5.1.1 no such user');
    expect(await store.finishDigestRunIfDone(created.run.id, DIGEST_NOW)).toBe(true);

    const status = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest', '--status'], {
      env: { SMTP_URL: '' },
    });
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toMatch(/ done: 0 stories, 0 sent, 1 failed, 0 pending — Columns/);
    const listed = status.stdout.split('\n').filter((line) => line.startsWith('    ') && line.includes('@'));
    expect(listed[0]).toBe('    zz@example.org: failed: 550 5.1.1 no such user');
    expect(listed).toHaveLength(20);
  }, 60_000);

  it("shows control and bidi characters of an error (a bounce's diagnostic, a server's reply) as escapes, never raw", async () => {
    const digestApp = await startDigestApp({ root, digests: DIGESTS });
    const { store } = digestApp.app;
    const created = await store.claimDigestRun(plannedRun('Columns', 0, DIGEST_NOW, ['nobody@example.org']));
    if (created.kind !== 'created') throw new Error('the run was not created');
    const claim = await store.claimDelivery(created.run.id, 'nobody@example.org', DIGEST_NOW);
    if (!claim) throw new Error('no claim');
    const hostile = 'failed 5.1.1: \u001b]0;pwned\u0007\u001b[2J no such user \u202egnp.exe';
    expect(await store.markDelivery(claim, 'failed', { error: hostile })).toBe(true);

    const status = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest', '--status'], {
      env: { SMTP_URL: '' },
    });
    expect(status.code).toBe(0);
    // eslint-disable-next-line no-control-regex -- control characters are what must not be printed
    expect(status.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e]/);
    expect(status.stdout).toContain('    nobody@example.org: failed: failed 5.1.1: \\x1b]0;pwned\\x07\\x1b[2J no such user \\u202egnp.exe');
  }, 60_000);
});
