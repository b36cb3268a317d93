/**
 * The sign-up form on both backends, a real server and a real smtp-server: what a visitor types
 * as address and name is checked and cleaned as `subscribers add` and import do.
 */
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { startDigestApp, type DigestApp } from '../helpers/digest-app.ts';
import { smtpServerForTest, startSmtpServer, type SmtpServerOptions, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { postgresBackend, schemaUrl, sqliteBackend, type StoreBackend } from '../helpers/store-backends.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

const DIGESTS = `  - id: daily
    name: Daily columns
    signup: true
`;

/** Sets env variables for the rest of the test (the signup mailer reads SMTP_URL when first made). */
function setEnv(name: string, value: string): void {
  const saved = process.env[name];
  process.env[name] = value;
  onTestFinished(() => {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  });
}

interface FormServer {
  digestApp: DigestApp;
  smtp: TestSmtpServer;
  base: string;
  post: (path: string, fields: Record<string, string>, signal?: AbortSignal) => Promise<Response>;
}

/** The app on `backend`, its server, and a sink for its mail (or SMTP_URL to `smtpUrl`, where nothing may listen). */
async function serveForm(backend: StoreBackend, options: { smtp?: SmtpServerOptions; smtpUrl?: string } = {}): Promise<FormServer> {
  const smtp = await smtpServerForTest(options.smtp);
  setEnv('SMTP_URL', options.smtpUrl ?? smtp.url);
  if (backend.name === 'postgres') setEnv('COLUMNWIRE_DATABASE_URL', schemaUrl(await postgresBackend.newLocation()));
  const digestApp = await startDigestApp({ root, digests: DIGESTS, now: null });
  const server = await digestApp.app.startServer();
  onTestFinished(() => server.close());
  const post = (path: string, fields: Record<string, string>, signal?: AbortSignal) =>
    fetch(`${server.url}${path}`, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual', ...(signal ? { signal } : {}) });
  return { digestApp, smtp, base: server.url, post };
}

describe.each([sqliteBackend, postgresBackend])('the sign-up form on $name', (backend) => {
  it('refuses an address with a control character or past RFC 5321 sizes, the same on both backends', async () => {
    const { post, smtp } = await serveForm(backend);
    for (const email of ['x\0y@example.org', 'ctl\x07@example.org', `${'a'.repeat(65)}@example.org`]) {
      const answer = await post('/subscribe', { email, digest: 'daily' });
      expect(answer.status).toBe(400);
      expect(await answer.text()).toContain('Give an email address such as jane@example.com.');
    }
    await smtp.settled();
    expect(smtp.messages).toEqual([]);
  });

  it('keeps a name as subscribers add and import do: whitespace folded, control characters out, 200 characters', async () => {
    const { post, digestApp } = await serveForm(backend);
    const names: Record<string, string> = {
      'a@example.org': 'Ann\0 \x1b[2J\x1b[31mRed\x1b[0m\x07\r\nBcc: x@evil.example',
      'b@example.org': `${'b'.repeat(199)}\u{1F600}tail`,
    };
    for (const [email, name] of Object.entries(names))
      expect((await post('/subscribe', { email, name, digest: 'daily' })).status).toBe(200);
    // Kept after the answer (reader-routes.ts): wait for it.
    await vi.waitFor(
      async () =>
        expect((await digestApp.app.store.listSignups('daily')).map((signup) => [signup.address, signup.name])).toEqual([
          ['a@example.org', 'Ann [2J[31mRed[0m Bcc: x@evil.example'],
          ['b@example.org', `${'b'.repeat(199)}\u{1F600}`],
        ]),
      { timeout: 10_000 },
    );
  });

  it('a new signup forgets those whose link expired more than a day ago', async () => {
    const { post, digestApp } = await serveForm(backend);
    const store = digestApp.app.store;
    const choices = { columnists: [], outlets: [], tags: [] };
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000);
    await store.saveSignup({ digestId: 'daily', address: 'long-gone@example.org', name: null, choices, requestedAt: hoursAgo(73) });
    await store.saveSignup({ digestId: 'daily', address: 'just-expired@example.org', name: null, choices, requestedAt: hoursAgo(50) });
    expect((await post('/subscribe', { email: 'new@example.org', digest: 'daily' })).status).toBe(200);
    await vi.waitFor(
      async () =>
        expect((await store.listSignups('daily')).map((signup) => signup.address)).toEqual(['just-expired@example.org', 'new@example.org']),
      { timeout: 10_000 },
    );
  });

  it('a confirmation mail the relay did not take holds back no new link: down, then up, the next request sends one', async () => {
    // A port where nothing listens yet: the relay is down.
    const probe = await startSmtpServer();
    const port = probe.port;
    await probe.close();
    const { post, digestApp } = await serveForm(backend, { smtpUrl: `smtp://127.0.0.1:${port}` });
    const answer = await post('/subscribe', { email: 'reader@example.org', digest: 'daily' });
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('a confirmation link is on its way');
    // The failed send forgets the signup (after the answer, so wait for it).
    await vi.waitFor(async () => expect(await digestApp.app.store.listSignups('daily')).toEqual([]), { timeout: 10_000 });
    const relay = await smtpServerForTest({ port });
    expect((await post('/subscribe', { email: 'reader@example.org', digest: 'daily' })).status).toBe(200);
    await vi.waitFor(() => expect(relay.messagesTo('reader@example.org')).toHaveLength(1), { timeout: 10_000 });
    expect(await digestApp.app.store.listSignups('daily')).toMatchObject([{ address: 'reader@example.org' }]);
    // Sent, it holds back the next link for RESEND_MS as before.
    expect((await post('/subscribe', { email: 'reader@example.org', digest: 'daily' })).status).toBe(200);
    await relay.settled();
    expect(relay.messagesTo('reader@example.org')).toHaveLength(1);
  });

  it('answers before the confirmation mail is sent: a relay that never replies does not hold the page', async () => {
    let held = 0;
    const { post, smtp, digestApp } = await serveForm(backend, { smtp: { holdAfter: 0, afterMessage: (counts) => (held = counts.held) } });
    const answer = await post('/subscribe', { email: 'slow@example.org', digest: 'daily' }, AbortSignal.timeout(5_000));
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('a confirmation link is on its way');
    await vi.waitFor(() => expect(held).toBe(1), { timeout: 10_000 });
    expect(smtp.messages).toEqual([]);
    expect(await digestApp.app.store.listSignups('daily')).toMatchObject([{ address: 'slow@example.org' }]);
    await smtp.close(); // the held send fails now, rather than when the server's shutdown gives up on it
  });

  it('a confirm pressed twice says it is confirmed, with the preferences link; HEAD and OPTIONS on /unsubscribe answer as GET does', async () => {
    const { post, smtp, base } = await serveForm(backend);
    expect((await post('/subscribe', { email: 'twice@example.org', digest: 'daily' })).status).toBe(200);
    await vi.waitFor(() => expect(smtp.messagesTo('twice@example.org')).toHaveLength(1), { timeout: 10_000 });
    const link = /https?:\/\/\S+\/subscribe\/confirm\?token=([\w.-]+)/.exec(smtp.messagesTo('twice@example.org')[0]!.parsed.text ?? '')!;
    const token = link[1]!;
    const first = await post('/subscribe/confirm', { token });
    expect(first.status).toBe(303);
    const preferences = first.headers.get('location')!;
    for (const again of [await post('/subscribe/confirm', { token }), await fetch(`${base}/subscribe/confirm?token=${token}`)]) {
      expect(again.status).toBe(200);
      const html = await again.text();
      expect(html).toContain('This subscription is already confirmed.');
      expect(html).toContain(`href="${preferences.replaceAll('&', '&amp;')}"`);
    }
    const unsubscribe = `${base}/unsubscribe?token=${new URL(preferences, base).searchParams.get('token')}`;
    const get = await fetch(unsubscribe);
    const head = await fetch(unsubscribe, { method: 'HEAD' });
    expect([get.status, head.status]).toEqual([200, 200]);
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(await head.text()).toBe('');
    for (const path of ['/unsubscribe', '/subscribe', '/subscribe/confirm', '/preferences']) {
      const options = await fetch(`${base}${path}`, { method: 'OPTIONS' });
      expect([path, options.status, options.headers.get('allow')]).toEqual([path, 204, 'GET, HEAD, POST']);
    }
    const put = await fetch(unsubscribe, { method: 'PUT' });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, HEAD, POST']);
    // Still subscribed: HEAD changed nothing.
    expect((await fetch(new URL(preferences, base))).status).toBe(200);
  });
});
