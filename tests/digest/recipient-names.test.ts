import { describe, expect, it } from 'vitest';
import { digestMessageId } from '../../src/digest/plan-digest.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

describe('recipients written as "Name <address>"', () => {
  it('puts the name in the To header and keys everything else by the bare address', async () => {
    const smtp = await smtpServerForTest();
    const digestApp = await startDigestApp({
      root,
      digests: `  - id: daily\n    to: ["\\"Doe, Jane\\" <Jane@Example.org>", bob@example.org]\n`,
    });
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 3)]);
    const result = await digestApp.run('daily', smtp.url);
    expect(result.runs).toEqual([expect.objectContaining({ sent: 2, failed: 0 })]);

    const jane = smtp.messagesTo('jane@example.org')[0]!;
    expect(jane.rcptTo).toEqual(['jane@example.org']);
    expect(jane.parsed.to).toMatchObject({ value: [{ name: 'Doe, Jane', address: 'jane@example.org' }] });
    const bob = smtp.messagesTo('bob@example.org')[0]!;
    expect(bob.parsed.to).toMatchObject({ value: [{ name: '', address: 'bob@example.org' }] });

    // The identity is the bare address: the Message-ID and the delivery record do not see the name.
    const deliveries = await digestApp.app.store.deliveries(result.runs[0]!.runId);
    const janeDelivery = deliveries.find((delivery) => delivery.address === 'jane@example.org');
    expect(janeDelivery?.messageId).toBe(
      digestMessageId('daily', DIGEST_NOW, 'jane@example.org', 'Columnwire <digest@columns.example.net>'),
    );
    expect(jane.parsed.messageId).toBe(janeDelivery?.messageId);
  });
});
