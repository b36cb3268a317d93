import { describe, expect, it } from 'vitest';
import { column, startDigestApp } from '../helpers/digest-app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const RECIPIENTS = Array.from({ length: 30 }, (_, n) => `reader${String(n).padStart(2, '0')}@example.org`);
const ROUNDS = 3;

describe('two columnwire digest processes at once', () => {
  it('give every recipient exactly one copy of each run, round after round', async () => {
    // skipEmpty (the default): a second process that came too late for the race sends nothing.
    const digestApp = await startDigestApp({
      root,
      digests: `  - id: daily\n    to:\n${RECIPIENTS.map((address) => `      - ${address}\n`).join('')}`,
      now: null,
    });
    const smtp = await smtpServerForTest();
    const args = ['--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest'];
    for (let round = 1; round <= ROUNDS; round++) {
      const now = new Date();
      await digestApp.save('jane', [column(`round-${round}-a`, now, 1), column(`round-${round}-b`, now, 0.5)]);
      const [first, second] = await Promise.all([
        runCli(args, { env: { SMTP_URL: smtp.url } }),
        runCli(args, { env: { SMTP_URL: smtp.url } }),
      ]);
      for (const result of [first, second]) {
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
      }
      const runs = await digestApp.app.store.listDigestRuns('daily', 10);
      expect(runs).toHaveLength(round);
      expect(runs[0]).toMatchObject({
        status: 'done',
        storyIds: expect.arrayContaining([expect.any(Number), expect.any(Number)]) as unknown,
      });
      const deliveries = await digestApp.app.store.deliveries(runs[0]!.id);
      expect(deliveries.map((delivery) => delivery.status)).toEqual(RECIPIENTS.map(() => 'sent'));
      for (const address of RECIPIENTS) {
        const copies = smtp.messagesTo(address).map((message) => message.parsed.messageId);
        expect(copies, `${address} after round ${round}`).toHaveLength(round);
        expect(new Set(copies).size).toBe(round);
      }
      expect(smtp.messages).toHaveLength(round * RECIPIENTS.length);
    }
  }, 180_000);
});
