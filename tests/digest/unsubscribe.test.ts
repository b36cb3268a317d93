import { createHmac } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createUnsubscribeToken, verifyUnsubscribeToken } from '../../src/unsubscribe-token.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { rawHeader, smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const HOUR = 3600_000;

/** An app that has sent one digest to two readers, with its HTTP server running. */
async function afterOneDigest(named = '', basePath = '') {
  const smtp = await smtpServerForTest();
  const digestApp = await startDigestApp({
    root,
    digests: `  - id: daily\n${named}    to: [stay@example.org, leave@example.org]\n`,
    basePath,
  });
  await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
  await digestApp.run('daily', smtp.url);
  const server = await digestApp.app.startServer();
  onTestFinished(() => server.close());
  const header = rawHeader(smtp.messagesTo('leave@example.org')[0]!.parsed, 'list-unsubscribe') ?? '';
  const link = new URL(/<(https:[^>]+)>/.exec(header)![1]!);
  const token = link.searchParams.get('token')!;
  const local = (path: string) => `${server.url}${path}`;
  /** Sends the next digest (after a new story) and returns who received it. */
  const nextRecipients = async () => {
    smtp.messages.length = 0;
    digestApp.advance(HOUR);
    await digestApp.save('bob', [column(`b${digestApp.clock.now.getTime()}`, digestApp.clock.now, 0)]);
    await digestApp.run('daily', smtp.url);
    return smtp.messages.map((message) => message.rcptTo[0]).sort();
  };
  return { digestApp, link, token, local, nextRecipients };
}

const oneClick = (url: string, body = 'List-Unsubscribe=One-Click') =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

describe('unsubscribing over HTTP', () => {
  it("points List-Unsubscribe at this server's /unsubscribe with a token for that reader", async () => {
    const { link, token, digestApp } = await afterOneDigest();
    expect(link.origin + link.pathname).toBe('https://columns.example.net/unsubscribe');
    expect(verifyUnsubscribeToken(token, digestApp.app.secret)).toEqual({ address: 'leave@example.org', digestId: 'daily', epoch: 0 });
  });

  it('shows a confirmation form on GET and unsubscribes nobody', async () => {
    const { token, local, digestApp } = await afterOneDigest();
    const response = await fetch(local(`/unsubscribe?token=${token}`));
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('leave@example.org');
    expect(page).toMatch(
      /<form method="post" action="\/unsubscribe\?token=[^"]+"><button type="submit">Unsubscribe from “daily”<\/button><\/form>/,
    );
    expect(page).toMatch(/<input type="hidden" name="scope" value="all"><button type="submit">Unsubscribe from all digests<\/button>/);
    expect(await digestApp.app.store.unsubscribedAddresses()).toEqual(new Set());
  });

  it('names the digest as its mails do (digests[].name), not by its id', async () => {
    const { token, local } = await afterOneDigest('    name: Daily columns\n');
    const page = await (await fetch(local(`/unsubscribe?token=${token}`))).text();
    expect(page).toContain('<button type="submit">Unsubscribe from “Daily columns”</button>');
    expect(page).not.toContain('“daily”');
  });

  it.each([
    ['an RFC 8058 one-click POST', (local: (path: string) => string, token: string) => oneClick(local(`/unsubscribe?token=${token}`))],
    [
      "the confirmation form's button",
      async (local: (path: string) => string, token: string) => {
        const page = await (await fetch(local(`/unsubscribe?token=${token}`))).text();
        const action = /<form method="post" action="([^"]+)"/.exec(page)![1]!.replaceAll('&amp;', '&');
        return oneClick(local(action), '');
      },
    ],
    [
      // RFC 8058 §3.1 allows the body as multipart/form-data too.
      'an RFC 8058 one-click POST as multipart/form-data',
      (local: (path: string) => string, token: string) => {
        const body = new FormData();
        body.append('List-Unsubscribe', 'One-Click');
        return fetch(local(`/unsubscribe?token=${token}`), { method: 'POST', body });
      },
    ],
    [
      'a POST with the token in the body',
      (local: (path: string) => string, token: string) => oneClick(local('/unsubscribe'), `token=${token}`),
    ],
  ])('unsubscribes on %s, and the next run skips that reader', async (_how, post) => {
    const { token, local, digestApp, nextRecipients } = await afterOneDigest();
    const response = await post(local, token);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('will get no more of the “daily” digest');
    expect(await digestApp.app.store.unsubscribedAddresses()).toEqual(new Set(['leave@example.org']));
    expect(await nextRecipients()).toEqual(['stay@example.org']);
  });

  it.each([
    [
      'one character of the signature changed',
      (token: string) => token.replace(/\.(.)(.)/, (_m, a: string, b: string) => `.${a}${b === 'x' ? 'y' : 'x'}`),
    ],
    ['one character of the payload changed', (token: string) => `${token.slice(0, 3)}${token[3] === 'x' ? 'y' : 'x'}${token.slice(4)}`],
    [
      "another address's payload with this signature",
      (token: string) => `${Buffer.from(JSON.stringify(['stay@example.org', 'daily'])).toString('base64url')}.${token.split('.')[1]}`,
    ],
    ['the signature cut off', (token: string) => token.split('.')[0]!],
    ['no token at all', () => ''],
  ])('refuses a token with %s with 400, on GET and POST', async (_how, tamper) => {
    const { token, local, digestApp, nextRecipients } = await afterOneDigest();
    const bad = encodeURIComponent(tamper(token));
    expect((await fetch(local(`/unsubscribe?token=${bad}`))).status).toBe(400);
    const post = await oneClick(local(`/unsubscribe?token=${bad}`));
    expect(post.status).toBe(400);
    expect(await post.text()).toContain('not valid');
    expect(await digestApp.app.store.unsubscribedAddresses()).toEqual(new Set());
    expect(await nextRecipients()).toEqual(['leave@example.org', 'stay@example.org']);
  });

  it("posts the confirmation form under baseUrl's path, where the proxy in front sends it on", async () => {
    const { link, local, digestApp } = await afterOneDigest('', '/news/');
    expect(link.pathname).toBe('/news/unsubscribe');
    const page = await (await fetch(local(`${link.pathname}${link.search}`))).text();
    const actions = [...page.matchAll(/<form method="post" action="([^"]+)"/g)].map((match) => match[1]!.replaceAll('&amp;', '&'));
    expect(actions).toHaveLength(2);
    // The browser resolves each action against the page's address; only /news/... reaches this server.
    for (const action of actions) expect(new URL(action, link).pathname).toBe('/news/unsubscribe');
    const response = await fetch(local(new URL(actions[0]!, link).pathname + new URL(actions[0]!, link).search), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(response.status).toBe(200);
    expect(await digestApp.app.store.unsubscribedAddresses()).toEqual(new Set(['leave@example.org']));
  });

  it('is undone by columnwire digest --resubscribe', async () => {
    const { token, local, digestApp, nextRecipients } = await afterOneDigest();
    await oneClick(local(`/unsubscribe?token=${token}`));
    const undone = await runCli([
      '--config',
      digestApp.configPath,
      '--data',
      digestApp.dataDir,
      'digest',
      '--resubscribe',
      'Leave@Example.org',
    ]);
    expect(undone).toMatchObject({ code: 0, stderr: '' });
    expect(undone.stdout).toBe('Leave@Example.org will get digests again\n');
    expect(await digestApp.app.store.unsubscribedAddresses()).toEqual(new Set());
    expect(await nextRecipients()).toEqual(['leave@example.org', 'stay@example.org']);
  });
});

describe('unsubscribe tokens', () => {
  const secret = 'test-secret-of-this-instance';

  it('round-trips the address (lower-cased), the digest id and the epoch', () => {
    const token = createUnsubscribeToken({ address: 'Reader@Example.ORG', digestId: 'daily', epoch: 3 }, secret);
    expect(token).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(verifyUnsubscribeToken(token, secret)).toEqual({ address: 'reader@example.org', digestId: 'daily', epoch: 3 });
  });

  it('reads a token mailed before epochs existed ([address, digest]) as epoch 0', () => {
    const payload = Buffer.from(JSON.stringify(['reader@example.org', 'daily'])).toString('base64url');
    const old = `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
    expect(verifyUnsubscribeToken(old, secret)).toEqual({ address: 'reader@example.org', digestId: 'daily', epoch: 0 });
  });

  it('gives different tokens to different epochs', () => {
    const subject = { address: 'a@example.org', digestId: 'daily' };
    expect(createUnsubscribeToken({ ...subject, epoch: 0 }, secret)).not.toBe(createUnsubscribeToken({ ...subject, epoch: 1 }, secret));
  });

  it('gives different tokens to different addresses and digests', () => {
    const tokens = [
      ['a@example.org', 'daily'],
      ['b@example.org', 'daily'],
      ['a@example.org', 'weekly'],
    ].map(([address, digestId]) => createUnsubscribeToken({ address: address!, digestId: digestId! }, secret));
    expect(new Set(tokens).size).toBe(3);
  });

  it('refuses a token signed with another secret', () => {
    const token = createUnsubscribeToken({ address: 'reader@example.org', digestId: 'daily' }, 'another-instance');
    expect(verifyUnsubscribeToken(token, secret)).toBeNull();
  });

  const valid = createUnsubscribeToken({ address: 'reader@example.org', digestId: 'daily' }, secret);
  const signed = (payload: string) => `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
  it.each([
    ['empty', ''],
    ['no signature', valid.split('.')[0]!],
    ['an extra part', `${valid}.extra`],
    ['a truncated signature', valid.slice(0, -1)],
    ['a lengthened signature', `${valid}A`],
    ['signed JSON that is not [address, digest]', signed(Buffer.from('{"address":"x"}').toString('base64url'))],
    ['signed text that is not JSON', signed(Buffer.from('not json').toString('base64url'))],
    ['signed numbers', signed(Buffer.from('[1, 2]').toString('base64url'))],
    ['a signed negative epoch', signed(Buffer.from('["a@example.org", "daily", -1]').toString('base64url'))],
    ['a signed fractional epoch', signed(Buffer.from('["a@example.org", "daily", 1.5]').toString('base64url'))],
    ['a signed epoch that is text', signed(Buffer.from('["a@example.org", "daily", "1"]').toString('base64url'))],
    ['four signed fields', signed(Buffer.from('["a@example.org", "daily", 1, 2]').toString('base64url'))],
  ])('refuses %s', (_case, token) => {
    expect(verifyUnsubscribeToken(token, secret)).toBeNull();
  });
});
