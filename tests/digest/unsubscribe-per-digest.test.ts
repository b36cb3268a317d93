/**
 * Issue 9 §4: a link unsubscribes from the digest it came with (or, by the page's second
 * button, from all); a link mailed before a resubscribe no longer unsubscribes; links mailed
 * before epochs existed keep working for their digest; older unsubscribes survive the
 * migration. All through real parts: digests sent to smtp-server, read back with mailparser,
 * their links followed with fetch against the running HTTP server.
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { migrations } from '../../src/storage/sqlite/migrations.ts';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { htmlOf, rawHeader, smtpServerForTest, type ReceivedMessage } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const HOUR = 3600_000;
const DIGESTS =
  '  - id: daily\n    to: [reader@example.org, other@example.org]\n  - id: weekly\n    to: [reader@example.org, other@example.org]\n';

/** Two digests to the same two readers, each sent once, and the server running. */
async function twoDigests() {
  const smtp = await smtpServerForTest();
  const digestApp = await startDigestApp({ root, digests: DIGESTS });
  const server = await digestApp.app.startServer();
  onTestFinished(() => server.close());
  let story = 0;
  /** Runs both digests after a new story; returns each digest's recipients and messages. */
  const nextRuns = async () => {
    digestApp.advance(HOUR);
    await digestApp.save('jane', [column(`j${story++}`, digestApp.clock.now, 0)]);
    const received: Record<string, { to: string[]; messages: ReceivedMessage[] }> = {};
    for (const id of ['daily', 'weekly']) {
      smtp.messages.length = 0;
      await digestApp.run(id, smtp.url);
      received[id] = { to: smtp.messages.map((message) => message.rcptTo[0]!).sort(), messages: [...smtp.messages] };
    }
    return received;
  };
  const onServer = (link: string) => {
    const url = new URL(link);
    return `${server.url}${url.pathname}${url.search}`;
  };
  const first = await nextRuns();
  /** The one-click (List-Unsubscribe) and body links of `address`'s copy in `messages`. */
  const linksOf = (messages: ReceivedMessage[], address: string) => {
    const mail = messages.find((message) => message.rcptTo.includes(address))!.parsed;
    const header = /<(https:[^>]+)>/.exec(rawHeader(mail, 'list-unsubscribe') ?? '')![1]!;
    const body = /<a href="(https:\/\/columns\.example\.net\/unsubscribe\?[^"]+)"/.exec(htmlOf(mail))![1]!.replaceAll('&amp;', '&');
    return { oneClick: onServer(header), body: onServer(body) };
  };
  const cli = (...args: string[]) => runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, ...args]);
  return { digestApp, server, first, nextRuns, linksOf, cli };
}

const post = (url: string, body: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

/** Submits the form of `page` whose button says `label`, as a browser would. */
async function submit(baseUrl: string, page: string, label: string): Promise<Response> {
  const form = [...page.matchAll(/<form method="post" action="([^"]+)">(.*?)<\/form>/g)].find((match) => match[2]!.includes(label));
  if (!form) throw new Error(`no form with a "${label}" button in ${page}`);
  const fields = [...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((field) => `${field[1]}=${field[2]}`);
  return post(`${baseUrl}${form[1]!.replaceAll('&amp;', '&')}`, fields.join('&'));
}

describe('unsubscribing per digest', () => {
  it('stops only the digest the body link came with; the other digest still arrives', async () => {
    const { server, first, nextRuns, linksOf, cli } = await twoDigests();
    expect(first.daily!.to).toEqual(['other@example.org', 'reader@example.org']);
    const page = await (await fetch(linksOf(first.daily!.messages, 'reader@example.org').body)).text();
    expect(page).toContain('Stop sending the “daily” digest to <strong>reader@example.org</strong>?');
    const done = await submit(server.url, page, 'Unsubscribe from “daily”');
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('will get no more of the “daily” digest');

    const next = await nextRuns();
    expect(next.daily!.to).toEqual(['other@example.org']);
    expect(next.weekly!.to).toEqual(['other@example.org', 'reader@example.org']);

    const status = await cli('digest', '--status');
    expect(status.code).toBe(0);
    const daily = status.stdout.slice(status.stdout.indexOf('daily:'), status.stdout.indexOf('weekly:'));
    expect(daily).toMatch(/^ {2}unsubscribed: reader@example\.org since \d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    expect(status.stdout.slice(status.stdout.indexOf('weekly:'))).not.toContain('unsubscribed:');
  });

  it("stops every digest on the page's second button", async () => {
    const { server, first, nextRuns, linksOf } = await twoDigests();
    const page = await (await fetch(linksOf(first.weekly!.messages, 'reader@example.org').body)).text();
    const done = await submit(server.url, page, 'Unsubscribe from all digests');
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('will get no more digests');
    const next = await nextRuns();
    expect(next.daily!.to).toEqual(['other@example.org']);
    expect(next.weekly!.to).toEqual(['other@example.org']);
  });

  it('stops the digest named in the token on a one-click POST (RFC 8058)', async () => {
    const { first, nextRuns, linksOf } = await twoDigests();
    expect((await post(linksOf(first.weekly!.messages, 'reader@example.org').oneClick, 'List-Unsubscribe=One-Click')).status).toBe(200);
    const next = await nextRuns();
    expect(next.daily!.to).toEqual(['other@example.org', 'reader@example.org']);
    expect(next.weekly!.to).toEqual(['other@example.org']);
  });

  it('refuses a replayed old link after --resubscribe (410, page says why), and the new link works', async () => {
    const { first, nextRuns, linksOf, cli, digestApp } = await twoDigests();
    const old = linksOf(first.daily!.messages, 'reader@example.org');
    expect((await post(old.oneClick, 'List-Unsubscribe=One-Click')).status).toBe(200);
    expect((await nextRuns()).daily!.to).toEqual(['other@example.org']);

    const undone = await cli('digest', '--resubscribe', 'reader@example.org', '--id', 'daily');
    expect(undone).toMatchObject({ code: 0, stdout: 'reader@example.org will get the "daily" digest again\n' });
    const resumed = await nextRuns();
    expect(resumed.daily!.to).toEqual(['other@example.org', 'reader@example.org']);

    // The mail provider (or the reader) replays the message from before: refused, and said why.
    for (const replay of [
      () => post(old.oneClick, 'List-Unsubscribe=One-Click'),
      () => fetch(old.body),
      () => post(old.body, 'scope=all'),
    ]) {
      const response = await replay();
      expect(response.status).toBe(410);
      expect(await response.text()).toMatch(/from a digest sent before <strong>reader@example\.org<\/strong> was subscribed again/);
    }
    expect(await digestApp.app.store.unsubscribedAddresses('daily')).toEqual(new Set());
    expect((await nextRuns()).daily!.to).toEqual(['other@example.org', 'reader@example.org']);

    // The weekly links mailed before are untouched by a daily resubscribe, and the fresh daily link works.
    const fresh = linksOf(resumed.daily!.messages, 'reader@example.org');
    expect(fresh.oneClick).not.toBe(old.oneClick);
    expect((await fetch(linksOf(first.weekly!.messages, 'reader@example.org').body)).status).toBe(200);
    expect((await post(fresh.oneClick, 'List-Unsubscribe=One-Click')).status).toBe(200);
    expect((await nextRuns()).daily!.to).toEqual(['other@example.org']);
  });

  it('keeps links mailed before epochs existed working, for the digest they name', async () => {
    const { server, nextRuns, digestApp } = await twoDigests();
    const payload = Buffer.from(JSON.stringify(['reader@example.org', 'weekly'])).toString('base64url');
    const token = `${payload}.${createHmac('sha256', digestApp.app.secret).update(payload).digest('base64url')}`;
    expect((await post(`${server.url}/unsubscribe?token=${token}`, 'List-Unsubscribe=One-Click')).status).toBe(200);
    const next = await nextRuns();
    expect(next.daily!.to).toEqual(['other@example.org', 'reader@example.org']);
    expect(next.weekly!.to).toEqual(['other@example.org']);
  });
});

describe('the subscriptions migration', () => {
  it('keeps every earlier unsubscribe as one from all digests, with its time', async () => {
    const path = join(root, `old-${Date.now()}.db`);
    const raw = new BetterSqlite3(path);
    for (const migration of migrations.slice(0, 3)) raw.exec(migration);
    raw.pragma('user_version = 3');
    raw
      .prepare('INSERT INTO unsubscribes (address, digest_id, at) VALUES (?, ?, ?)')
      .run('gone@example.org', 'daily', DIGEST_NOW.getTime());
    raw
      .prepare('INSERT INTO unsubscribes (address, digest_id, at) VALUES (?, ?, ?)')
      .run('all@example.org', null, DIGEST_NOW.getTime() + 1);
    raw.close();
    const store = createSqliteStore(path);
    onTestFinished(() => store.close());
    for (const digestId of ['daily', 'weekly']) {
      expect(await store.unsubscribedAddresses(digestId)).toEqual(new Set(['gone@example.org', 'all@example.org']));
      expect(await store.subscriptionState('gone@example.org', digestId)).toMatchObject({
        state: 'unsubscribed',
        scope: 'all',
        since: DIGEST_NOW,
        epoch: 0,
      });
    }
    expect(await store.resubscribe('gone@example.org', 'weekly', DIGEST_NOW)).toBe(true);
    expect(await store.unsubscribedAddresses('weekly')).toEqual(new Set(['all@example.org']));
    expect(await store.subscriptionState('gone@example.org', 'weekly')).toMatchObject({ state: 'subscribed', epoch: 1 });
    expect(await store.subscriptionState('gone@example.org', 'daily')).toMatchObject({ state: 'unsubscribed', epoch: 0 });
  });
});
