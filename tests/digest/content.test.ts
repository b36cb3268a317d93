import { describe, expect, it } from 'vitest';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { htmlOf, smtpServerForTest, textOf } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

/** Sends digest `id` (from `digests`) once, after `seed`, and returns the one message received. */
async function receive(
  digests: string,
  id: string,
  seed: (save: (feedId: string, items: ReturnType<typeof column>[]) => Promise<void>) => Promise<void>,
) {
  const smtp = await smtpServerForTest();
  const digestApp = await startDigestApp({ root, digests });
  await seed((feedId, items) => digestApp.save(feedId, items));
  await digestApp.run(id, smtp.url);
  expect(smtp.messages).toHaveLength(1);
  const mail = smtp.messages[0]!.parsed;
  return { mail, html: htmlOf(mail), text: textOf(mail) };
}

const headings = (text: string) => [...text.matchAll(/^== (.*) ==$/gm)].map((match) => match[1]);
const titlesInOrder = (text: string, titles: string[]) =>
  titles.map((title) => text.indexOf(title)).every((at, index, all) => at >= 0 && (index === 0 || at > all[index - 1]!));

describe('digest content', () => {
  it.each([
    ['outlet', ['Daily Planet', 'The Guardian', 'The Times']],
    ['columnist', ['Ann Poe', 'Bob Roe', 'Jane Doe']],
    ['tag', ['economy', 'politics']],
    ['none', ['Columns']],
  ])('groups by %s, groups sorted by name', async (groupBy, expected) => {
    const { text } = await receive(`  - id: d\n    groupBy: ${groupBy}\n    to: [r@example.org]\n`, 'd', async (save) => {
      await save('jane', [column('j1', DIGEST_NOW, 1, { author: 'Jane Doe' })]);
      await save('bob', [column('b1', DIGEST_NOW, 2, { author: 'Bob Roe' })]);
      await save('ann', [column('a1', DIGEST_NOW, 3, { author: 'Ann Poe' })]);
    });
    expect(headings(text)).toEqual(expected);
  });

  it('lists stories newest first within a group', async () => {
    const { text, html } = await receive('  - id: d\n    to: [r@example.org]\n', 'd', async (save) => {
      await save('jane', [
        column('old', DIGEST_NOW, 9, { title: 'Oldest column of the day' }),
        column('new', DIGEST_NOW, 1, { title: 'Newest column of the day' }),
        column('mid', DIGEST_NOW, 5, { title: 'Middle column of the day' }),
      ]);
    });
    const order = ['Newest column of the day', 'Middle column of the day', 'Oldest column of the day'];
    expect(titlesInOrder(text, order)).toBe(true);
    expect(titlesInOrder(html, order)).toBe(true);
  });

  it('escapes hostile titles in the HTML part and keeps them literal in the text part', async () => {
    const hostile = `<script>alert("x")</script> Tom & Jerry's "war" <img src=x onerror=alert(1)>`;
    const { html, text } = await receive('  - id: d\n    to: [r@example.org]\n', 'd', async (save) => {
      await save('jane', [column('h1', DIGEST_NOW, 1, { title: hostile, author: '<b>Evil</b> & Co' })]);
    });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('<b>Evil</b>');
    expect(html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Tom &amp; Jerry&#39;s &quot;war&quot; &lt;img src=x onerror=alert(1)&gt;',
    );
    expect(text).toContain(hostile);
    expect(text).toContain('<b>Evil</b> & Co');
  });

  it('makes a ~300 character excerpt from the HTML summary: no markup, entities decoded, cut at a word', async () => {
    const sentence =
      'Rock &amp; roll &mdash; it&#39;s <b>bold</b>, and <a href="https://x.example">the <i>budget</i></a> won&rsquo;t balance itself. ';
    const plain = "Rock & roll — it's bold, and the budget won’t balance itself. ";
    const { text, html } = await receive('  - id: d\n    to: [r@example.org]\n', 'd', async (save) => {
      await save('jane', [column('e1', DIGEST_NOW, 1, { summary: `<p>${sentence.repeat(12)}</p><script>steal()</script>` })]);
    });
    const line = text.split('\n').find((candidate) => candidate.startsWith('Rock & roll'));
    expect(line).toBeDefined();
    const excerpt = line!;
    expect(excerpt.endsWith('…')).toBe(true);
    expect(excerpt.length).toBeGreaterThan(250);
    expect(excerpt.length).toBeLessThanOrEqual(301);
    const body = excerpt.slice(0, -1);
    const full = plain.repeat(12);
    expect(full.startsWith(body)).toBe(true);
    expect(full[body.length]).toMatch(/[\s,.]/); // cut between words, not inside one
    expect(text).not.toMatch(/<b>|&amp;|&mdash;|steal/);
    expect(html).not.toContain('steal()');
    // Characters beyond Latin-1 are sent as numeric references (— is &#8212;).
    expect(html).toContain('Rock &amp; roll &#8212; it&#39;s bold');
  });

  it.each([
    ['Europe/London', '2026-07-01T07:00:00Z', '2026-07-01T06:30:00Z', '1 Jul, 07:30 BST', '1 Jul 2026'],
    ['America/New_York', '2026-07-01T07:00:00Z', '2026-07-01T06:30:00Z', '1 Jul, 02:30 EDT', '1 Jul 2026'],
    ['America/New_York', '2026-07-01T03:30:00Z', '2026-07-01T03:00:00Z', '30 Jun, 23:00 EDT', '30 Jun 2026'],
    ['UTC', '2026-07-01T07:00:00Z', '2026-07-01T06:30:00Z', '1 Jul, 06:30 UTC', '1 Jul 2026'],
  ])('shows times and the date in the digest time zone (%s, sent at %s)', async (timezone, now, published, time, date) => {
    const smtp = await smtpServerForTest();
    const digestApp = await startDigestApp({
      root,
      digests: `  - id: d\n    timezone: ${timezone}\n    to: [r@example.org]\n`,
      now: new Date(now),
    });
    await digestApp.save('jane', [column('t1', DIGEST_NOW, 0, { published: new Date(published), title: 'A column with a time' })]);
    await digestApp.run('d', smtp.url);
    const mail = smtp.messages[0]!.parsed;
    expect(mail.subject).toBe(`Columns for ${date} (1)`);
    expect(textOf(mail)).toContain(`Jane Doe · The Times · ${time}`);
    expect(htmlOf(mail)).toContain(time);
  });

  it('says in which other outlets a story also appeared', async () => {
    const shared = { title: 'A column syndicated to two papers', link: 'https://syndicate.example.com/columns/shared' };
    const { text, html } = await receive('  - id: d\n    to: [r@example.org]\n', 'd', async (save) => {
      await save('jane', [column('s-jane', DIGEST_NOW, 2, shared)]);
      await save('bob', [column('s-bob', DIGEST_NOW, 2, shared), column('b-own', DIGEST_NOW, 1, { author: 'Bob Roe' })]);
    });
    expect(text.split('A column syndicated to two papers')).toHaveLength(2); // listed once
    const entry = text.slice(text.indexOf('A column syndicated to two papers'));
    expect(entry.split('\n\n')[0]).toContain('Also in The Guardian');
    expect(html).toContain('Also in The Guardian');
    expect(text.match(/Also in/g)).toHaveLength(1);
  });
});
