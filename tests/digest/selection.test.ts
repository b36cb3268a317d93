import { describe, expect, it } from 'vitest';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { htmlOf, smtpServerForTest, textOf } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const HOUR = 3600_000;

describe('what each digest run covers', () => {
  it.each([
    [true, 0, 'empty'],
    [false, 1, 'sent'],
  ] as const)('a second run right after the first, skipEmpty %s, sends %i message(s)', async (skipEmpty, messages, kind) => {
    const smtp = await smtpServerForTest();
    const digestApp = await startDigestApp({ root, digests: `  - id: d\n    skipEmpty: ${skipEmpty}\n    to: [r@example.org]\n` });
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
    await digestApp.run('d', smtp.url);
    smtp.messages.length = 0;
    digestApp.advance(HOUR);
    const second = await digestApp.run('d', smtp.url);
    expect(second.kind).toBe(kind);
    expect(smtp.messages).toHaveLength(messages);
    if (messages === 1) {
      const mail = smtp.messages[0]!.parsed;
      expect(mail.subject).toBe('Columns for 1 Jul 2026 (0)');
      expect(textOf(mail)).toContain('No new columns since the last digest.');
      expect(htmlOf(mail)).toContain('No new columns since the last digest.');
      expect(textOf(mail)).not.toContain('Column j1');
    }
    expect(await digestApp.app.store.listDigestRuns('d', 10)).toHaveLength(skipEmpty ? 1 : 2);
  });

  it('moves the cursor: a story stored after run 1 is in run 2 and not in run 1', async () => {
    const smtp = await smtpServerForTest();
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    to: [r@example.org]\n' });
    await digestApp.save('jane', [column('before', DIGEST_NOW, 1, { title: 'Stored before the first run' })]);
    await digestApp.run('d', smtp.url);
    digestApp.advance(HOUR);
    // Published earlier than the first story, but stored later: the cursor follows storage, not dates.
    await digestApp.save('bob', [column('after', DIGEST_NOW, 5, { title: 'Stored after the first run' })]);
    digestApp.advance(HOUR);
    await digestApp.run('d', smtp.url);
    const [first, second] = smtp.messages.map((message) => textOf(message.parsed));
    expect(first).toContain('Stored before the first run');
    expect(first).not.toContain('Stored after the first run');
    expect(second).toContain('Stored after the first run');
    expect(second).not.toContain('Stored before the first run');
  });

  it('covers the last 24 hours on a first run', async () => {
    const smtp = await smtpServerForTest();
    const digestApp = await startDigestApp({
      root,
      digests: '  - id: d\n    to: [r@example.org]\n',
      now: new Date(DIGEST_NOW.getTime() - 25 * HOUR),
    });
    await digestApp.save('jane', [column('stale', DIGEST_NOW, 26, { title: 'Stored 25 hours before the run' })]);
    digestApp.advance(2 * HOUR);
    await digestApp.save('jane', [column('fresh', DIGEST_NOW, 24, { title: 'Stored 23 hours before the run' })]);
    digestApp.advance(23 * HOUR);
    await digestApp.run('d', smtp.url);
    const text = textOf(smtp.messages[0]!.parsed);
    expect(text).toContain('Stored 23 hours before the run');
    expect(text).not.toContain('Stored 25 hours before the run');
  });

  it.each([
    ['tags: [economy]', ['Bob']],
    ['feeds: [ann]', ['Ann']],
    ['tags: [uk]\n    feeds: [bob]', ['Bob', 'Jane']],
    ['tags: [politics]', ['Ann', 'Jane']],
    ['groupBy: none', ['Ann', 'Bob', 'Jane']],
  ])('applies the filter %s', async (filter, expected) => {
    const smtp = await smtpServerForTest();
    const digestApp = await startDigestApp({ root, digests: `  - id: d\n    ${filter}\n    to: [r@example.org]\n` });
    await digestApp.save('jane', [column('j', DIGEST_NOW, 1, { title: 'Jane writes on the budget' })]);
    await digestApp.save('bob', [column('b', DIGEST_NOW, 2, { title: 'Bob writes on the economy' })]);
    await digestApp.save('ann', [column('a', DIGEST_NOW, 3, { title: 'Ann writes on the election' })]);
    await digestApp.run('d', smtp.url);
    const text = textOf(smtp.messages[0]!.parsed);
    expect(['Ann', 'Bob', 'Jane'].filter((name) => text.includes(`${name} writes on`))).toEqual(expected);
  });

  it('skips unsubscribed addresses, whatever their case in the config', async () => {
    const smtp = await smtpServerForTest();
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    to: [keep@example.org, Gone@Example.org]\n' });
    await digestApp.app.store.unsubscribe('gone@example.org', 'd', DIGEST_NOW);
    await digestApp.save('jane', [column('j', DIGEST_NOW, 1)]);
    const result = await digestApp.run('d', smtp.url);
    expect(smtp.messages.map((message) => message.rcptTo)).toEqual([['keep@example.org']]);
    expect(smtp.rcptAttempts.has('gone@example.org')).toBe(false);
    expect((await digestApp.app.store.deliveries(result.runs[0]!.runId)).map((delivery) => delivery.address)).toEqual(['keep@example.org']);
  });

  it('shows maxItems stories in full and lists the rest by title', async () => {
    const smtp = await smtpServerForTest();
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    maxItems: 2\n    to: [r@example.org]\n' });
    await digestApp.save(
      'jane',
      [1, 2, 3, 4, 5].map((n) =>
        column(`m${n}`, DIGEST_NOW, n, { title: `Column number ${n} of five`, summary: `<p>Excerpt of column ${n}</p>` }),
      ),
    );
    await digestApp.run('d', smtp.url);
    const mail = smtp.messages[0]!.parsed;
    const text = textOf(mail);
    expect(mail.subject).toBe('Columns for 1 Jul 2026 (5)');
    expect(text).toContain('Excerpt of column 1');
    expect(text).toContain('Excerpt of column 2');
    expect(text).not.toContain('Excerpt of column 3');
    expect(text).toContain('3 more on the web page:');
    for (const n of [3, 4, 5]) expect(text).toContain(`- Column number ${n} of five <https://news.example.com/opinion/m${n}>`);
    expect(htmlOf(mail)).toContain('3 more on the web page');
    expect(htmlOf(mail)).toContain('Column number 5 of five');
  });

  it('keeps a huge digest under 100,000 bytes of HTML, listing the rest by title', async () => {
    const smtp = await smtpServerForTest();
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    maxItems: 1000\n    to: [r@example.org]\n' });
    const words = 'The chancellor said the numbers add up, but they do not. '.repeat(36); // ~2 KB
    await digestApp.save(
      'jane',
      Array.from({ length: 300 }, (_, n) =>
        column(`big${n}`, DIGEST_NOW, n / 20, { title: `Huge digest column ${n}`, summary: `<p>${words}</p>` }),
      ),
    );
    await digestApp.run('d', smtp.url);
    const mail = smtp.messages[0]!.parsed;
    const html = htmlOf(mail);
    const text = textOf(mail);
    expect(Buffer.byteLength(html)).toBeLessThan(100_000);
    expect(mail.subject).toBe('Columns for 1 Jul 2026 (300)');
    const more = Number(/(\d+) more on the web page/.exec(text)?.[1]);
    expect(more).toBeGreaterThan(0);
    expect(more).toBeLessThan(300);
    for (let n = 0; n < 300; n++) expect(html).toContain(`Huge digest column ${n}<`);
  });
});
