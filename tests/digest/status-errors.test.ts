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
});
