/**
 * A copy greylisted by the relay (Postgrey behind Postfix answered `450 4.2.0 <grey@example.com>:
 * Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html`
 * for 5 minutes) is tried again by the service mail.retryPendingSeconds later, not only at the
 * digest's next scheduled run a day later; the retry sends only what the run owes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { column, startDigestApp } from '../helpers/digest-app.ts';
import { runLoggedDigest } from '../helpers/logged-digest.ts';
import { startService } from '../helpers/service.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

describe('copies left pending by greylisting', () => {
  it('are sent by the service retryPendingSeconds later, once each, with no new run', async () => {
    const digestApp = await startDigestApp({
      root,
      now: null,
      digests: `  - id: daily\n    schedule: "0 7 1 1 *"\n    to: [ann@example.org, grey@example.org]\n`,
    });
    await digestApp.save('jane', [column('j1', new Date(), 1)]);
    let greylisting = true;
    const smtp = await smtpServerForTest({
      rejectRecipient: (to) =>
        greylisting && to === 'grey@example.org'
          ? {
              code: 450,
              message: `4.2.0 <${to}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html`,
            }
          : null,
    });
    const { result } = await runLoggedDigest(digestApp, smtp.url);
    expect(result.runs).toEqual([expect.objectContaining({ sent: 1, pending: 1, done: false })]);
    const runId = result.runs[0]!.runId;

    const yaml = readFileSync(digestApp.configPath, 'utf8').replace(/^mail:\n/m, 'mail:\n  retryPendingSeconds: 1\n');
    writeFileSync(digestApp.configPath, yaml);
    const service = startService(digestApp.configPath, digestApp.dataDir, { SMTP_URL: smtp.url });
    // The catch-up at start is greylisted too; the service says when it tries again.
    const retry = await service.waitForLog((line) => line.msg === 'digest copies still pending; trying them again later', 'a retry');
    expect(retry).toMatchObject({ digestId: 'daily', pending: 1, retryInSeconds: 1 });
    const delivered = new Promise<void>((resolve) => {
      smtp.options.afterMessage = () => {
        if (smtp.messagesTo('grey@example.org').length > 0) resolve();
      };
    });
    greylisting = false;
    await delivered;
    await smtp.settled();
    expect(smtp.messagesTo('ann@example.org')).toHaveLength(1);
    expect(smtp.messagesTo('grey@example.org')).toHaveLength(1);
    const [run] = await digestApp.app.store.listDigestRuns('daily', 10);
    expect(run).toMatchObject({ id: runId });
  }, 60_000);
});
