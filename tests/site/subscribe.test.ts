/**
 * Issue 13: readers subscribe themselves (double opt-in) and tune their digest. A real app and
 * HTTP server, a real smtp-server receiving the confirmation and the digests, mailparser
 * reading them back: subscribe → the link arrives → confirm → preferences (two columnists) →
 * the next digest holds only their columns → switch digest, pause, unsubscribe. And what a
 * hostile client tries: the same answer for any address, a honeypot, a rate limit, forged,
 * expired and replayed links, unknown choices.
 */
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { HtmlValidate } from 'html-validate';
import pg from 'pg';
import { column, startDigestApp, type DigestApp } from '../helpers/digest-app.ts';
import { rawHeader, smtpServerForTest, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { postgresBackend, schemaUrl } from '../helpers/store-backends.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { verifySignupToken } from '../../src/unsubscribe-token.ts';

const root = makeTempDir();
// Checkbox groups share a name, as HTML allows (html-validate only allows radios by default).
const validator = new HtmlValidate({
  extends: ['html-validate:recommended'],
  rules: { 'long-title': 'off', 'form-dup-name': ['error', { shared: ['radio', 'checkbox', 'button', 'reset', 'submit'] }] },
});

const DIGESTS = `  - id: daily
    name: Daily columns
    signup: true
    schedule: "0 7 * * *"
    maxAgeHours: 8760
  - id: weekly
    name: Weekly round-up
    signup: true
    schedule: "0 7 * * 1"
    maxAgeHours: 8760
  - id: staff
    to: editor@columns.example.net
`;

interface Served {
  digestApp: DigestApp;
  /** Closes the server once its handlers (and the mails they send after answering) are done. */
  close: () => Promise<void>;
  smtp: TestSmtpServer;
  base: string;
  post: (path: string, fields: Record<string, string | string[]>, headers?: Record<string, string>) => Promise<Response>;
}

/** `database`: a PostgreSQL URL to keep the data in; default SQLite. */
async function serve(database?: string, trustedProxies?: readonly string[], basePath?: string): Promise<Served> {
  const smtp = await smtpServerForTest();
  // The signup mailer reads SMTP_URL when it is first made; put back after the test.
  const saved = process.env.SMTP_URL;
  process.env.SMTP_URL = smtp.url;
  onTestFinished(() => {
    if (saved === undefined) delete process.env.SMTP_URL;
    else process.env.SMTP_URL = saved;
  });
  const digestApp = await startDigestApp({
    root,
    digests: DIGESTS,
    ...(database === undefined ? {} : { database }),
    ...(trustedProxies === undefined ? {} : { trustedProxies }),
    ...(basePath === undefined ? {} : { basePath }),
  });
  const server = await digestApp.app.startServer();
  const base = server.url;
  onTestFinished(() => server.close());
  const post = (path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}) => {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(fields)) for (const one of [value].flat()) body.append(key, one);
    return fetch(`${base}${path}`, { method: 'POST', body, redirect: 'manual', headers });
  };
  return { digestApp, smtp, base, post, close: () => server.close() };
}

/** The confirmation link in the newest message to `address`. */
async function confirmationLink(smtp: TestSmtpServer, address: string, count = 1): Promise<string> {
  await vi.waitFor(() => expect(smtp.messagesTo(address).length).toBeGreaterThanOrEqual(count), { timeout: 20_000 });
  const message = smtp.messagesTo(address).at(-1)!;
  return /https?:\/\/\S+\/subscribe\/confirm\?token=[\w.-]+/.exec(message.parsed.text ?? '')![0];
}

async function validHtml(response: Response): Promise<string> {
  const html = await response.text();
  const report = await validator.validateString(html);
  expect(report.results.flatMap((result) => result.messages.map((message) => `${message.ruleId}: ${message.message}`))).toEqual([]);
  expect(html).not.toContain('<script');
  return html;
}

describe('subscribing on the site', () => {
  it('subscribe → confirmation mail → confirm → choose two columnists → the next digest holds only theirs → unsubscribe', async () => {
    const { digestApp, smtp, base, post } = await serve();
    const now = digestApp.clock.now;
    await digestApp.save('jane', [column('j1', now, 2, { title: 'Jane on the budget', author: 'Jane Doe' })]);
    await digestApp.save('bob', [column('b1', now, 3, { title: 'Bob on rates', author: 'Bob Roe' })]);
    await digestApp.save('ann', [column('a1', now, 4, { title: 'Ann on towns', author: 'Ann Poe' })]);

    const form = await validHtml(await fetch(`${base}/subscribe`));
    expect(form).toContain('<option value="daily" selected>Daily columns</option>');
    expect(form).toContain('name="website"');
    const answer = await post('/subscribe', { email: 'Reader@Example.org', digest: 'daily', name: 'Rea Der' });
    expect(answer.status).toBe(200);
    expect(await validHtml(answer)).toContain('If reader@example.org can subscribe, a confirmation link is on its way.');
    const link = await confirmationLink(smtp, 'reader@example.org');
    expect(link.startsWith('https://columns.example.net/subscribe/confirm?token=')).toBe(true);
    expect(await digestApp.app.store.listSignups('daily')).toMatchObject([{ address: 'reader@example.org', name: 'Rea Der' }]);
    // Not a subscriber until the link is followed and the button pressed (a scanner's GET changes nothing).
    expect(await digestApp.app.store.preferences('reader@example.org')).toEqual([]);
    const token = new URL(link).searchParams.get('token')!;
    const page = await fetch(`${base}/subscribe/confirm?token=${token}`);
    expect(await validHtml(page)).toContain('Send the Daily columns digest to reader@example.org?');
    expect(await digestApp.app.store.preferences('reader@example.org')).toEqual([]);
    const confirmed = await post('/subscribe/confirm', { token });
    expect(confirmed.status).toBe(303);
    // A path on the server the form was posted to (the CSP's form-action 'self'), not baseUrl's host.
    const preferencesUrl = new URL(confirmed.headers.get('location')!, base).href;
    expect(await digestApp.app.store.listSignups('daily')).toEqual([]);
    expect(await digestApp.app.store.preferences('reader@example.org')).toMatchObject([
      { digestId: 'daily', paused: false, name: 'Rea Der' },
    ]);
    // The same link again (a double click): used, and it says so, with the preferences link.
    const twice = await post('/subscribe/confirm', { token });
    expect(twice.status).toBe(200);
    expect(await validHtml(twice)).toContain('This subscription is already confirmed.');

    const preferences = await validHtml(await fetch(preferencesUrl));
    expect(preferences).toContain('Daily columns for reader@example.org');
    const prefToken = new URL(preferencesUrl).searchParams.get('token')!;
    const saved = await post('/preferences', { token: prefToken, digest: 'daily', columnist: ['jane-doe', 'ann-poe', 'no-such-person'] });
    expect(saved.status).toBe(303);
    expect(await digestApp.app.store.preferences('reader@example.org')).toMatchObject([
      { choices: { columnists: ['ann-poe', 'jane-doe'], outlets: [], tags: [] } },
    ]);
    expect(await validHtml(await fetch(new URL(saved.headers.get('location')!, base)))).toContain('Saved.');

    const before = smtp.messagesTo('reader@example.org').length;
    await digestApp.run('daily', smtp.url);
    const digests = smtp.messagesTo('reader@example.org').slice(before);
    expect(digests).toHaveLength(1);
    const text = digests[0]!.parsed.text!;
    expect(text).toContain('Jane on the budget');
    expect(text).toContain('Ann on towns');
    expect(text).not.toContain('Bob on rates');
    expect(digests[0]!.parsed.subject).toMatch(/\(2\)/);
    // The footer leads to these preferences; one-click unsubscribe stays in the headers.
    expect(text).toMatch(/Preferences or unsubscribe: https:\/\/columns\.example\.net\/unsubscribe\?token=/);
    expect(rawHeader(digests[0]!.parsed, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');

    // Unsubscribe from this digest with the preferences page's button.
    const unsubscribed = await post('/unsubscribe', { token: prefToken, scope: 'digest' });
    expect(unsubscribed.status).toBe(200);
    // In the site's layout, valid, with its navigation.
    const done = await validHtml(unsubscribed);
    expect(done).toContain('<h1>Unsubscribed</h1>');
    expect(done).toContain('Latest columns</a>');
    digestApp.advance(24 * 3600_000);
    await digestApp.save('jane', [column('j2', digestApp.clock.now, 1, { title: 'Jane again', author: 'Jane Doe' })]);
    await digestApp.run('daily', smtp.url);
    expect(smtp.messagesTo('reader@example.org').slice(before)).toHaveLength(1);

    // The preferences link now says so, saves nothing, and offers to subscribe again.
    const stopped = await validHtml(await fetch(preferencesUrl));
    expect(stopped).toContain('You are unsubscribed from Daily columns');
    expect(stopped).not.toContain('>Save<');
    const ignored = await post('/preferences', { token: prefToken, digest: 'daily', columnist: 'jane-doe' });
    expect(await validHtml(ignored)).toContain('You are unsubscribed from Daily columns');
    expect(await digestApp.app.store.preferences('reader@example.org')).toMatchObject([
      { digestId: 'daily', choices: { columnists: ['ann-poe', 'jane-doe'] } },
    ]);
    // A mailed link alone (its token never expires) cannot undo the unsubscribe.
    await post('/preferences', { token: prefToken, action: 'resubscribe' });
    expect((await digestApp.app.store.subscriptionState('reader@example.org', 'daily'))?.state).toBe('unsubscribed');
    // Subscribing again asks by mail, as any signup does, keeping the reader's choices.
    expect(stopped).toContain('<form action="/subscribe" method="post">');
    const fields = [...stopped.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)].map((match) => [match[1]!, match[2]!]);
    expect(fields).toEqual([
      ['email', 'reader@example.org'],
      ['digest', 'daily'],
    ]);
    const kept = [...stopped.matchAll(/name="columnist" type="checkbox" value="([^"]*)" checked/g)].map((match) => match[1]!);
    expect([...kept].sort()).toEqual(['ann-poe', 'jane-doe']);
    const mailed = smtp.messagesTo('reader@example.org').length;
    const asked = await post('/subscribe', {
      email: 'reader@example.org',
      digest: 'daily',
      columnist: kept,
    });
    expect(asked.status).toBe(200);
    expect((await digestApp.app.store.subscriptionState('reader@example.org', 'daily'))?.state).toBe('unsubscribed');
    const link2 = await confirmationLink(smtp, 'reader@example.org', mailed + 1);
    const again = await post('/subscribe/confirm', { token: new URL(link2).searchParams.get('token')! });
    expect(again.status).toBe(303);
    expect((await digestApp.app.store.subscriptionState('reader@example.org', 'daily'))?.state).toBe('subscribed');
    expect(await digestApp.app.store.preferences('reader@example.org')).toMatchObject([
      { digestId: 'daily', choices: { columnists: ['ann-poe', 'jane-doe'] } },
    ]);
    const renewed = await validHtml(await fetch(new URL(again.headers.get('location')!, base)));
    expect(renewed).toContain('>Save<');
    // The old link is from before the resubscribe.
    expect((await fetch(preferencesUrl)).status).toBe(410);
    digestApp.advance(24 * 3600_000);
    await digestApp.save('jane', [column('j3', digestApp.clock.now, 1, { title: 'Jane once more', author: 'Jane Doe' })]);
    await digestApp.run('daily', smtp.url);
    // The first digest, the confirmation to subscribe again, and this digest.
    expect(smtp.messagesTo('reader@example.org').slice(before)).toHaveLength(3);
  }, 60_000);

  it('works under a baseUrl with a path, whether a proxy passes the prefix on or strips it', async () => {
    const { digestApp, smtp, base, post } = await serve(undefined, undefined, '/news/');
    await digestApp.save('jane', [column('j1', digestApp.clock.now, 2, { title: 'Jane on the budget', author: 'Jane Doe' })]);
    // The pages, under the prefix and without it (a proxy that strips it), and the prefix alone.
    for (const path of ['/news/', '/news', '/']) {
      const home = await validHtml(await fetch(`${base}${path}`));
      expect(home).toContain('href="https://columns.example.net/news/columnists"');
      expect(home).toContain('action="/news/search"');
    }
    expect(await validHtml(await fetch(`${base}/news/search?q=budget`))).toContain('Jane on the budget');
    const feed = await fetch(`${base}/news/feed.xml`);
    expect(feed.status).toBe(200);
    expect(await feed.text()).toContain('<atom:link href="https://columns.example.net/news/feed.xml" rel="self"');
    expect((await fetch(`${base}/news/healthz`)).status).toBe(200);
    // A prefix is whole path segments: /newsroom is not under /news.
    expect((await fetch(`${base}/newsroom/feed.xml`)).status).toBe(404);

    const form = await validHtml(await fetch(`${base}/news/subscribe`));
    expect(form).toContain('action="/news/subscribe" method="post"');
    expect((await post('/news/subscribe', { email: 'reader@example.org', digest: 'daily' })).status).toBe(200);
    const link = new URL(await confirmationLink(smtp, 'reader@example.org'));
    expect(link.pathname).toBe('/news/subscribe/confirm');
    expect(await validHtml(await fetch(`${base}${link.pathname}${link.search}`))).toContain('Send the Daily columns digest');
    const confirmed = await post('/news/subscribe/confirm', { token: link.searchParams.get('token')! });
    expect(confirmed.status).toBe(303);
    const location = confirmed.headers.get('location')!;
    expect(location.startsWith('/news/preferences?token=')).toBe(true);
    expect(await validHtml(await fetch(new URL(location, base)))).toContain('Daily columns for reader@example.org');
    expect(await validHtml(await fetch(`${base}${location.slice('/news'.length)}`))).toContain('Daily columns for reader@example.org');

    // The digest's links carry the prefix, and its unsubscribe link is served under it.
    await digestApp.run('daily', smtp.url);
    const text = smtp.messagesTo('reader@example.org').at(-1)!.parsed.text!;
    const unsubscribe = new URL(/https:\/\/columns\.example\.net\/news\/unsubscribe\?token=\S+/.exec(text)![0]);
    expect(text).toContain('On the web: https://columns.example.net/news/\n');
    expect(await validHtml(await fetch(`${base}${unsubscribe.pathname}${unsubscribe.search}`))).toContain('reader@example.org');
    const done = await post(`/news/unsubscribe`, { token: unsubscribe.searchParams.get('token')!, scope: 'digest' });
    expect(await validHtml(done)).toContain('<h1>Unsubscribed</h1>');
    expect((await digestApp.app.store.subscriptionState('reader@example.org', 'daily'))?.state).toBe('unsubscribed');
  }, 60_000);

  it('switches to another digest, pauses, and skips a reader whose choices have nothing in a run', async () => {
    const { digestApp, smtp, base, post } = await serve();
    const now = digestApp.clock.now;
    await digestApp.save('jane', [column('j0', now, 5, { title: 'Jane before', author: 'Jane Doe' })]);
    await post('/subscribe', { email: 'two@example.org', digest: 'daily', columnist: 'jane-doe' });
    const token = new URL(await confirmationLink(smtp, 'two@example.org')).searchParams.get('token')!;
    const prefs = new URL((await post('/subscribe/confirm', { token })).headers.get('location')!, base).href;
    const prefToken = new URL(prefs).searchParams.get('token')!;
    expect(await digestApp.app.store.preferences('two@example.org')).toMatchObject([{ choices: { columnists: ['jane-doe'] } }]);
    await digestApp.run('daily', smtp.url);
    expect(smtp.messagesTo('two@example.org')).toHaveLength(2); // the confirmation, then Jane's column
    // Only Jane chosen, and Jane wrote nothing new: no copy, recorded as skipped.
    digestApp.advance(24 * 3600_000);
    await digestApp.save('bob', [column('b1', digestApp.clock.now, 3, { title: 'Bob on rates', author: 'Bob Roe' })]);
    const result = await digestApp.run('daily', smtp.url);
    expect(smtp.messagesTo('two@example.org')).toHaveLength(2);
    const [run] = await digestApp.app.store.listDigestRuns('daily', 1);
    expect((await digestApp.app.store.deliveries(run!.id)).find((delivery) => delivery.address === 'two@example.org')).toMatchObject({
      status: 'skipped',
    });
    expect(result.runs.at(-1)).toMatchObject({ skipped: 1 });
    // A switch the page does not offer (a digest not offered for signup) changes nothing, and says so.
    const refused = await post('/preferences', { token: prefToken, digest: 'staff', paused: '1' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Nothing was changed');
    expect(await digestApp.app.store.preferences('two@example.org')).toMatchObject([{ digestId: 'daily', paused: false }]);
    // Switch to the weekly digest, paused.
    const moved = await post('/preferences', { token: prefToken, digest: 'weekly', paused: '1', columnist: 'jane-doe' });
    expect(moved.status).toBe(303);
    expect(await digestApp.app.store.preferences('two@example.org')).toMatchObject([{ digestId: 'weekly', paused: true }]);
    expect(await digestApp.app.store.digestSubscribers('weekly')).toEqual([]);
    // The old digest's link no longer leads to settings.
    expect((await fetch(`${base}/preferences?token=${prefToken}`)).status).toBe(410);
  }, 60_000);

  it.each([
    ['SQLite', () => Promise.resolve(undefined)],
    ['PostgreSQL', async () => schemaUrl(await postgresBackend.newLocation())],
  ] as const)(
    'clears a bouncing address that signs up again and confirms: it gets digests again (%s)',
    async (_name, database) => {
      const { digestApp, smtp, base, post } = await serve(await database());
      const store = digestApp.app.store;
      await digestApp.save('jane', [column('j1', digestApp.clock.now, 2, { title: 'Jane on the budget', author: 'Jane Doe' })]);
      // Subscribed once, then refused as unknown until it bounced (a mailbox since fixed).
      await store.addSubscribers('daily', [{ address: 'back@example.org', name: null }], digestApp.clock.now);
      const threshold = digestApp.app.config.mail.bounceThreshold;
      for (let failure = 0; failure < threshold; failure++)
        await store.recordPermanentFailure('back@example.org', '550 5.1.1 User unknown', digestApp.clock.now, threshold);
      expect(await store.bouncingAddresses()).toEqual(new Set(['back@example.org']));

      await post('/subscribe', { email: 'Back@Example.org', digest: 'daily' });
      const token = new URL(await confirmationLink(smtp, 'back@example.org')).searchParams.get('token')!;
      // The confirmation page alone (a mail scanner's GET) changes nothing.
      expect((await fetch(`${base}/subscribe/confirm?token=${token}`)).status).toBe(200);
      expect(await store.bouncingAddresses()).toEqual(new Set(['back@example.org']));
      expect((await post('/subscribe/confirm', { token })).status).toBe(303);
      expect(await store.listBounces()).toEqual([]);

      const result = await digestApp.run('daily', smtp.url);
      expect(result.runs).toEqual([expect.objectContaining({ sent: 1, failed: 0 })]);
      expect(smtp.messagesTo('back@example.org').at(-1)!.parsed.text).toContain('Jane on the budget');
    },
    60_000,
  );

  it.each([
    ['SQLite', () => Promise.resolve(undefined)],
    ['PostgreSQL', async () => schemaUrl(await postgresBackend.newLocation())],
  ] as const)(
    'mails one link for a form sent several times at once (clicked again and again), the link of the signup kept (%s)',
    async (_name, database) => {
      const { digestApp, smtp, base, post, close } = await serve(await database());
      const answers = await Promise.all([1, 2, 3, 4].map(() => post('/subscribe', { email: 'again@example.org', digest: 'daily' })));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
      // A moment later: two links would carry two times, and the one replaced would be refused as expired.
      digestApp.advance(1);
      expect((await post('/subscribe', { email: 'again@example.org', digest: 'daily' })).status).toBe(200);
      await confirmationLink(smtp, 'again@example.org');
      await close(); // waits for the mails sent after answering
      const links = smtp
        .messagesTo('again@example.org')
        .map((message) => /\/subscribe\/confirm\?token=([\w.-]+)/.exec(message.parsed.text ?? '')![1]);
      expect(links).toHaveLength(1);
      // The link mailed is the signup kept.
      const kept = await digestApp.app.store.signup('daily', 'again@example.org');
      expect(verifySignupToken(links[0]!, digestApp.app.secret)?.requestedAt).toEqual(kept?.requestedAt);
      void base;
    },
    60_000,
  );

  it('answers a signup before the store reads or writes anything of the address: a new one and a repeat take the same time', async () => {
    const location = await postgresBackend.newLocation();
    const { smtp, post } = await serve(schemaUrl(location));
    // The signups table held by another transaction: a write to it waits.
    const holder = new pg.Client({ connectionString: schemaUrl(location) });
    await holder.connect();
    onTestFinished(() => holder.end());
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE signups IN ACCESS EXCLUSIVE MODE');
    const answered = await post('/subscribe', { email: 'held@example.org', digest: 'daily' });
    expect(answered.status).toBe(200);
    expect(await answered.text()).toContain('held@example.org');
    await holder.query('COMMIT');
    // The signup is kept and its link mailed once the table is free.
    await confirmationLink(smtp, 'held@example.org');
  }, 60_000);

  it('limits each client behind a trusted reverse proxy on its own (X-Forwarded-For), and ignores the header from anyone else', async () => {
    // Every request comes from 127.0.0.1, the "proxy"; trusted, it names the client.
    const { post } = await serve(undefined, ['127.0.0.1']);
    const via = (client: string) => ({ 'x-forwarded-for': `203.0.113.9, ${client}` });
    for (let n = 0; n < 5; n++)
      expect((await post('/subscribe', { email: `a${n}@example.org`, digest: 'daily' }, via('198.51.100.1'))).status).toBe(200);
    expect((await post('/subscribe', { email: 'a5@example.org', digest: 'daily' }, via('198.51.100.1'))).status).toBe(429);
    // Another reader behind the same proxy is not held back by the first; the forged left entry counts for nothing.
    expect((await post('/subscribe', { email: 'b0@example.org', digest: 'daily' }, via('198.51.100.2'))).status).toBe(200);

    // Without the setting, the header is whatever the client sent: every request is the connection's.
    const { post: direct } = await serve();
    for (let n = 0; n < 5; n++)
      expect((await direct('/subscribe', { email: `c${n}@example.org`, digest: 'daily' }, via(`198.51.100.${n}`))).status).toBe(200);
    expect((await direct('/subscribe', { email: 'c5@example.org', digest: 'daily' }, via('198.51.100.99'))).status).toBe(429);
  });

  it('counts an IPv6 client by its /64: one host holds a whole /64, and each address of it is no new client', async () => {
    const { post } = await serve(undefined, ['127.0.0.1']);
    const via = (client: string) => ({ 'x-forwarded-for': client });
    for (let n = 1; n <= 5; n++)
      expect((await post('/subscribe', { email: `v${n}@example.org`, digest: 'daily' }, via(`2001:db8:1:2::${n}`))).status).toBe(200);
    // Another address of the same /64, written out in full.
    const same = await post('/subscribe', { email: 'v6@example.org', digest: 'daily' }, via('2001:0db8:0001:0002:ffff:0000:0000:0006'));
    expect(same.status).toBe(429);
    // The next /64 is another client; an IPv4 client is counted by its address still.
    expect((await post('/subscribe', { email: 'w@example.org', digest: 'daily' }, via('2001:db8:1:3::1'))).status).toBe(200);
    expect((await post('/subscribe', { email: 'x@example.org', digest: 'daily' }, via('198.51.100.7'))).status).toBe(200);
  });

  it('answers every address alike, mails nothing for a honeypot or a repeat, limits a client, and refuses forged or expired links', async () => {
    const { digestApp, smtp, base, post } = await serve();
    const answers: string[] = [];
    for (const email of ['new@example.org', 'new@example.org', 'editor@columns.example.net']) {
      const response = await post('/subscribe', { email, digest: 'daily' });
      answers.push((await response.text()).replaceAll(email, 'ADDRESS'));
    }
    expect(new Set(answers).size).toBe(1);
    await confirmationLink(smtp, 'new@example.org');
    await confirmationLink(smtp, 'editor@columns.example.net');
    // The repeat within ten minutes sent nothing more.
    expect(smtp.messagesTo('new@example.org')).toHaveLength(1);
    const bot = await post('/subscribe', { email: 'bot@example.org', digest: 'daily', website: 'https://spam.example' });
    expect(bot.status).toBe(200);
    expect(await digestApp.app.store.signup('daily', 'bot@example.org')).toBeNull();
    // Five at once per client (four spent above), then one a minute.
    expect((await post('/subscribe', { email: 'five@example.org', digest: 'daily' })).status).toBe(200);
    const limited = await post('/subscribe', { email: 'six@example.org', digest: 'daily' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    // Another server (its own client limit): malformed requests are refused and counted too.
    const { digestApp: other, post: postOther, smtp: otherSmtp } = await serve();
    await postOther('/subscribe', { email: 'late@example.org', digest: 'daily' });
    for (const email of ['not an address', 'Name <x@example.org>', 'a@b@c']) {
      expect((await postOther('/subscribe', { email, digest: 'daily' })).status, email).toBe(400);
    }
    // A digest not offered for signup is no choice.
    expect((await postOther('/subscribe', { email: 'x@example.org', digest: 'staff' })).status).toBe(400);
    const token = new URL(await confirmationLink(otherSmtp, 'late@example.org')).searchParams.get('token')!;
    const [payload, signature] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify(['signup', 'victim@example.org', 'daily', Date.now()])).toString('base64url')}.${signature}`;
    expect((await postOther('/subscribe/confirm', { token: forged })).status).toBe(400);
    // Its signature with another first character (one in 64 signatures begins with x already).
    const tampered = `${payload}.${signature!.startsWith('x') ? 'y' : 'x'}${signature!.slice(1)}`;
    expect((await postOther('/subscribe/confirm', { token: tampered })).status).toBe(400);
    // An unsubscribe token is not a confirmation, nor the other way round.
    expect((await postOther('/preferences', { token })).status).toBe(400);
    other.advance(49 * 3600_000);
    expect((await postOther('/subscribe/confirm', { token })).status).toBe(410);
    expect(await other.app.store.preferences('late@example.org')).toEqual([]);
    void base;
  }, 60_000);
});
