/**
 * Postfix's default relay restrictions (`smtpd_relay_restrictions = permit_mynetworks,
 * permit_sasl_authenticated, defer_unauth_destination`, since 2.10) answer a client that did not
 * log in `454 4.7.1 <reader@example.org>: Relay access denied`, a 4xx, where a submission service
 * says 554. SMTP_URL naming no user, such a relay (it offers AUTH) keeps every copy pending
 * saying to log in, and check says it requires authentication. Before, check said ok and each
 * copy was retried within the run, left pending with no word of a login, and given up after
 * 5 days as a recipient's 4xx.
 */
import { describe, expect, it } from 'vitest';
import { verifySmtp } from '../../src/digest/send-digest.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { runLoggedDigest } from '../helpers/logged-digest.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const PROBE = { from: 'digest@columns.example.net', to: 'ann@example.org' };

describe("a relay with Postfix's default relay restrictions, SMTP_URL naming no user", () => {
  it('(454 4.7.1 Relay access denied) keeps every copy pending saying to log in, and check says so', async () => {
    const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: [ann@example.org, bob@example.org]\n` });
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
    const smtp = await smtpServerForTest({ rejectRecipient: (to) => ({ code: 454, message: `4.7.1 <${to}>: Relay access denied` }) });

    const { result } = await runLoggedDigest(digestApp, smtp.url);
    expect(result.runs).toEqual([expect.objectContaining({ sent: 0, failed: 0, pending: 2, done: false })]);
    for (const delivery of await digestApp.app.store.deliveries(result.runs[0]!.runId)) {
      expect(delivery.lastError).toMatch(/454 4\.7\.1 .*the relay wants a login: put the user name and password in SMTP_URL/);
    }
    expect(await verifySmtp(smtp.url, 5_000, PROBE)).toMatch(/^the server requires authentication .*454 4\.7\.1 .*Relay access denied/);
    await smtp.settled();
    expect(smtp.messages).toEqual([]);
  });
});
