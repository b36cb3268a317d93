/**
 * A relay that offers AUTH but takes mail without a login (its own network is trusted, as
 * Postfix's `permit_mynetworks` does) and refuses one recipient by policy (a
 * `check_recipient_access` REJECT answers `554 5.7.1 <bob@…>: Recipient address rejected:
 * Access denied`, the very words its submission service uses for "log in first"). The copy to
 * that recipient fails for good once the relay has taken another copy without a login: it was
 * kept pending for ever, saying to put a login in SMTP_URL that the relay does not need, and the
 * run never finished (each retry of the service refused it again).
 */
import { describe, expect, it } from 'vitest';
import { runDigest } from '../../src/digest/run-digest.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

describe('a recipient refused by policy by a relay that takes mail without a login', () => {
  it('fails for good, counting against nobody, and the run finishes', async () => {
    const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: [ann@example.org, bob@example.org]\n` });
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
    const smtp = await smtpServerForTest({
      rejectRecipient: (to) =>
        to === 'bob@example.org' ? { code: 554, message: `5.7.1 <${to}>: Recipient address rejected: Access denied` } : null,
    });
    // One mailer for both attempts, as the service keeps one.
    const deps = await digestApp.deps(smtp.url);
    try {
      const first = await runDigest(digestApp.digest('daily'), deps);
      const runId = first.runs[0]!.runId;
      await runDigest(digestApp.digest('daily'), deps);
      const bob = (await digestApp.app.store.deliveries(runId)).find((delivery) => delivery.address === 'bob@example.org');
      expect(bob).toMatchObject({ status: 'failed' });
      expect(bob?.lastError).toMatch(/554 5\.7\.1 .*Access denied/);
      expect(bob?.lastError).not.toMatch(/SMTP_URL/);
      expect(await digestApp.app.store.unfinishedDigestRuns('daily')).toEqual([]);
      expect(await digestApp.app.store.listBounces()).toEqual([]);
      expect(smtp.messagesTo('ann@example.org')).toHaveLength(1);
    } finally {
      deps.mailer.close();
    }
  });
});
