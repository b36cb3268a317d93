/**
 * Issue 9 §4: feed text that looks like the place where the reader's unsubscribe link goes
 * (the old fixed marker, or something shaped like the new per-render one) comes out verbatim
 * in both parts of the mail, and the reader's link goes only where the template put it.
 */
import { describe, expect, it } from 'vitest';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { htmlOf, rawHeader, smtpServerForTest, textOf } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const OLD_MARKER = 'https://columnwire.invalid/unsubscribe-marker';
const NEW_LOOKING = 'https://columnwire.invalid/unsubscribe-0123456789abcdef0123456789abcdef';
const TITLE = `Read ${OLD_MARKER} then ${NEW_LOOKING} and {{unsubscribeUrl}}`;
const LINK = `https://times.example.com/column?next=${OLD_MARKER}&other=${NEW_LOOKING}`;

describe('the unsubscribe placeholder', () => {
  it('leaves a story title and link containing the placeholder text verbatim in the HTML and text parts', async () => {
    const smtp = await smtpServerForTest();
    const digestApp = await startDigestApp({ root, digests: '  - id: daily\n    to: [reader@example.org]\n' });
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1, { title: TITLE, link: LINK })]);
    await digestApp.run('daily', smtp.url);
    const mail = smtp.messagesTo('reader@example.org')[0]!.parsed;
    const readerLink = /<(https:[^>]+)>/.exec(rawHeader(mail, 'list-unsubscribe') ?? '')![1]!;
    const html = htmlOf(mail);
    const text = textOf(mail);

    expect(text).toContain(TITLE);
    expect(text).toContain(LINK);
    expect(html).toContain(TITLE);
    expect(html).toContain(`href="${LINK.replaceAll('&', '&amp;')}"`);
    // The reader's link appears once in each part: where the template asked for it.
    expect(text.split(readerLink)).toHaveLength(2);
    expect(text).toContain(`Preferences or unsubscribe: ${readerLink}`);
    expect(html.split(readerLink.replaceAll('&', '&amp;'))).toHaveLength(2);
    expect(html).not.toMatch(/columnwire\.invalid\/unsubscribe-(?!marker|0123456789abcdef0123456789abcdef)/);
  });
});
