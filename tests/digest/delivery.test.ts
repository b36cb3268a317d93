import { describe, expect, it } from 'vitest';
import { digestMessageId } from '../../src/digest/plan-digest.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { htmlOf, rawHeader, smtpServerForTest, textOf, toAddresses } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const RECIPIENTS = ['ann@example.org', 'bob@example.org', 'cy@example.org'];
const DIGESTS = `  - id: daily
    timezone: Europe/London
    to: [${RECIPIENTS.join(', ')}]
`;

async function sentDigest() {
  const smtp = await smtpServerForTest();
  const digestApp = await startDigestApp({ root, digests: DIGESTS });
  await digestApp.save('jane', [column('j1', DIGEST_NOW, 3, { title: 'The budget is a fiction' }), column('j2', DIGEST_NOW, 2)]);
  const result = await digestApp.run('daily', smtp.url);
  return { smtp, digestApp, result };
}

describe('digest delivery over SMTP', () => {
  it('sends one message per recipient, each addressed to that recipient alone', async () => {
    const { smtp, result } = await sentDigest();
    expect(result.kind).toBe('sent');
    expect(result.runs).toEqual([expect.objectContaining({ stories: 2, sent: 3, failed: 0, pending: 0, done: true })]);
    expect(smtp.messages).toHaveLength(3);
    expect(smtp.messages.map((message) => message.rcptTo)).toEqual(expect.arrayContaining(RECIPIENTS.map((address) => [address])));
    for (const message of smtp.messages) {
      expect(toAddresses(message.parsed)).toEqual(message.rcptTo);
      expect(message.parsed.cc).toBeUndefined();
      expect(message.parsed.bcc).toBeUndefined();
    }
  });

  it('fills the subject and sends an HTML and a text part', async () => {
    const { smtp } = await sentDigest();
    const mail = smtp.messagesTo('ann@example.org')[0]!.parsed;
    expect(mail.subject).toBe('Columns for 1 Jul 2026 (2)');
    expect(htmlOf(mail)).toContain('The budget is a fiction');
    expect(textOf(mail)).toContain('The budget is a fiction');
    expect(rawHeader(mail, 'content-type')).toMatch(/^multipart\/alternative/);
  });

  it('carries one-click unsubscribe (RFC 8058), List-Id and Date headers', async () => {
    const { smtp } = await sentDigest();
    const mail = smtp.messagesTo('bob@example.org')[0]!.parsed;
    const unsubscribe = rawHeader(mail, 'list-unsubscribe') ?? '';
    expect(unsubscribe).toMatch(
      /^<https:\/\/columns\.example\.net\/unsubscribe\?token=[\w-]+\.[\w-]+>, <mailto:digest@columns\.example\.net\?subject=unsubscribe%20[\w.-]+>$/,
    );
    expect(rawHeader(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(rawHeader(mail, 'list-id')).toBe('Test Columns (daily) <daily.columnwire.columns.example.net>');
    expect(mail.date).toEqual(DIGEST_NOW);
    expect(mail.from?.value).toEqual([{ address: 'digest@columns.example.net', name: 'Columnwire' }]);
  });

  it('gives each recipient a distinct Message-ID, the one recorded for the run', async () => {
    const { smtp, digestApp, result } = await sentDigest();
    const deliveries = await digestApp.app.store.deliveries(result.runs[0]!.runId);
    expect(deliveries.map((delivery) => delivery.address)).toEqual(RECIPIENTS);
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ status: 'sent', attempts: 1, lastError: null, sentAt: DIGEST_NOW });
      expect(delivery.messageId).toBe(digestMessageId('daily', DIGEST_NOW, delivery.address, 'Columnwire <digest@columns.example.net>'));
      expect(smtp.messagesTo(delivery.address).map((message) => message.parsed.messageId)).toEqual([delivery.messageId]);
    }
    expect(new Set(deliveries.map((delivery) => delivery.messageId)).size).toBe(RECIPIENTS.length);
  });

  it('gives each recipient an unsubscribe link of their own', async () => {
    const { smtp } = await sentDigest();
    const links = smtp.messages.map((message) => /<(https:[^>]+)>/.exec(rawHeader(message.parsed, 'list-unsubscribe') ?? '')?.[1]);
    expect(new Set(links).size).toBe(3);
    for (const message of smtp.messages) {
      const link = /<(https:[^>]+)>/.exec(rawHeader(message.parsed, 'list-unsubscribe') ?? '')![1]!;
      expect(textOf(message.parsed)).toContain(`Preferences or unsubscribe: ${link}`);
      expect(htmlOf(message.parsed)).toContain(`href="${link}"`);
    }
  });

  it('records the run as done with its subject and stories', async () => {
    const { digestApp, result } = await sentDigest();
    const [run] = await digestApp.app.store.listDigestRuns('daily', 10);
    expect(run).toMatchObject({ id: result.runs[0]!.runId, status: 'done', subject: 'Columns for 1 Jul 2026 (2)', finishedAt: DIGEST_NOW });
    expect(run!.storyIds).toHaveLength(2);
  });
});
