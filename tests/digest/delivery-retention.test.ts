/**
 * A digest run keeps its per-recipient copies for deliveryRetentionDays (default 30) after it
 * finished: the next digest sent after that prunes them, and `digest --status` still gives the
 * run's figures from the counts it kept. 0 keeps every copy.
 */
import { describe, expect, it } from 'vitest';
import { pruneDeliveries } from '../../src/digest/prune-deliveries.ts';
import { createLogger } from '../../src/logger.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const DAY = 86_400_000;
const DIGESTS = `  - id: daily
    to: [ann@example.org, bob@example.org, cy@example.org]
`;

describe('digest copies retention', () => {
  it('prunes a run’s copies at the first digest sent 30 days after it finished; --status keeps its figures', async () => {
    const digestApp = await startDigestApp({ root, digests: DIGESTS });
    const { store } = digestApp.app;
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1, { title: 'The budget is a fiction' })]);
    const first = (await digestApp.run('daily', null)).runs[0]!;
    expect(first).toMatchObject({ sent: 3, done: true });

    digestApp.advance(29 * DAY);
    await digestApp.save('jane', [column('j2', digestApp.clock.now, 1, { title: 'Nobody reads the footnotes' })]);
    const second = (await digestApp.run('daily', null)).runs[0]!;
    expect(await store.deliveries(first.runId)).toHaveLength(3); // 29 days: kept

    digestApp.advance(2 * DAY);
    await digestApp.save('jane', [column('j3', digestApp.clock.now, 1, { title: 'The third column' })]);
    const third = (await digestApp.run('daily', null)).runs[0]!;
    expect(await store.deliveries(first.runId)).toEqual([]);
    expect(await store.deliveries(second.runId)).toHaveLength(3);
    expect(await store.deliveries(third.runId)).toHaveLength(3);
    expect((await store.readStats()).digestMessages).toEqual([{ digestId: 'daily', status: 'sent', count: 9 }]);

    const status = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest', '--status'], {
      env: { SMTP_URL: '' },
    });
    expect(status).toMatchObject({ code: 0, stderr: '' });
    const runLines = status.stdout.split('\n').filter((line) => line.startsWith('  run '));
    expect(runLines).toHaveLength(3);
    for (const line of runLines) expect(line).toMatch(/ done: 1 stories, 3 sent, 0 failed, 0 pending — /);

    // deliveryRetentionDays: 0 keeps every copy, however old.
    const never = await pruneDeliveries(
      { deliveryRetentionDays: 0 },
      store,
      new Date(DIGEST_NOW.getTime() + 3650 * DAY),
      createLogger({ level: 'silent' }),
    );
    expect(never).toBe(0);
    expect(await store.deliveries(second.runId)).toHaveLength(3);
  }, 60_000);
});
