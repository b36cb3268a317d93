/**
 * Issue 9 §4: the /unsubscribe limiter counts refusals only, and a valid link is answered
 * whatever came before it from the same address (behind a reverse proxy every reader shares one).
 * The links are the ones a real digest carried: sent through smtp-server, read with mailparser.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { htmlOf, rawHeader, smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

/** One digest sent to three readers, the server running; each reader's List-Unsubscribe and body link, on this server. */
async function sentDigest() {
  const smtp = await smtpServerForTest();
  const digestApp = await startDigestApp({ root, digests: '  - id: daily\n    to: [a@example.org, b@example.org, c@example.org]\n' });
  await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
  await digestApp.run('daily', smtp.url);
  const server = await digestApp.app.startServer();
  onTestFinished(() => server.close());
  const local = (link: string) => {
    const url = new URL(link);
    return `${server.url}${url.pathname}${url.search}`;
  };
  const linksOf = (address: string) => {
    const mail = smtp.messagesTo(address)[0]!.parsed;
    const header = /<(https:[^>]+)>/.exec(rawHeader(mail, 'list-unsubscribe') ?? '')![1]!;
    const body = /<a href="(https:\/\/columns\.example\.net\/unsubscribe\?[^"]+)"/.exec(htmlOf(mail))![1]!.replaceAll('&amp;', '&');
    return { header: local(header), body: local(body) };
  };
  return { digestApp, server, linksOf };
}

const post = (url: string, body: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

describe('the /unsubscribe limiter', () => {
  it('answers valid links with 200 after a burst of bad tokens from the same address (GET page, POST confirm, one-click)', async () => {
    const { digestApp, server, linksOf } = await sentDigest();
    const burst: number[] = [];
    for (let attempt = 0; attempt < 30; attempt++) burst.push((await fetch(`${server.url}/unsubscribe?token=guess${attempt}`)).status);
    expect(burst.slice(0, 10)).toEqual(Array(10).fill(400));
    expect(burst.slice(10)).toEqual(Array(20).fill(429));

    const a = linksOf('a@example.org');
    const page = await fetch(a.body);
    expect(page.status).toBe(200);
    const action = /<form method="post" action="([^"]+)"/.exec(await page.text())![1]!.replaceAll('&amp;', '&');
    expect((await post(`${server.url}${action}`, '')).status).toBe(200);
    expect((await post(linksOf('b@example.org').header, 'List-Unsubscribe=One-Click')).status).toBe(200);
    expect([...(await digestApp.app.store.unsubscribedAddresses('daily'))].sort()).toEqual(['a@example.org', 'b@example.org']);

    // Still limited for guesses: the valid requests spent nothing and refilled nothing.
    expect((await fetch(`${server.url}/unsubscribe?token=guess`)).status).toBe(429);
  });

  it('counts refusals only: forty valid one-click posts from one address leave the guess budget whole', async () => {
    const { server, linksOf } = await sentDigest();
    const link = linksOf('c@example.org').header;
    for (let attempt = 0; attempt < 40; attempt++) expect((await post(link, 'List-Unsubscribe=One-Click')).status).toBe(200);
    const guesses: number[] = [];
    for (let attempt = 0; attempt < 11; attempt++) guesses.push((await fetch(`${server.url}/unsubscribe?token=guess`)).status);
    expect(guesses).toEqual([...Array<number>(10).fill(400), 429]);
  });
});
