import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveBody, serveForTest, type FeedServer } from '../helpers/feed-server.ts';
import { message, startService, type LogLine } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const rss = (id: string) => `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed ${id}</title>
<item><title>The column of feed ${id}</title><link>https://${id}.example.com/column</link><guid>${id}-1</guid>
<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>`;

function config(server: FeedServer, ids: string[], extra = ''): string {
  const feeds = ids.map((id) => `  # the ${id} feed\n  - url: ${server.url(`/${id}.xml`)}\n    id: ${id}\n`).join('');
  return `server:\n  port: 0\npoll:\n  allowPrivateAddresses: [127.0.0.1]\n${extra}feeds:\n${feeds}`;
}

/** Writes the way editors and `columnwire feeds add` do: a temp file renamed over the old one. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

const reloaded = (line: LogLine) => line.msg === 'config reloaded';
const nthLog = (
  service: { logs: LogLine[]; waitForLog: (m: (l: LogLine) => boolean) => Promise<LogLine> },
  match: (line: LogLine) => boolean,
  n: number,
) => service.waitForLog((line) => match(line) && service.logs.filter(match).length >= n);

describe('columnwire run reloads feeds.yaml', () => {
  it('applies a valid edit without a restart, keeps the running config on an invalid one, and reloads on SIGHUP', async () => {
    const dir = makeTempDir();
    const server = await serveForTest({ '/a.xml': serveBody(rss('a')), '/b.xml': serveBody(rss('b')) });
    const path = join(dir, 'feeds.yaml');
    writeFileSync(path, config(server, ['a']));
    const service = startService(path, join(dir, 'data'));
    const base = await service.url();
    await service.waitForLog(message('poll cycle finished'));

    // A new feed: reloaded from the file watch and polled at once, without waiting for the schedule.
    replaceFile(path, config(server, ['a', 'b']));
    expect(await service.waitForLog(reloaded)).toMatchObject({ trigger: 'file', feedsAdded: ['b'], feedsRemoved: [] });
    await nthLog(service, message('poll cycle finished'), 2);
    expect(server.requestsTo('/b.xml')).toHaveLength(1);
    // Only the new feed: a, fetched at start and not due until the next tick, is not fetched again.
    expect(server.requestsTo('/a.xml')).toHaveLength(1);

    // An invalid edit: the error names the line, the running config stays and keeps serving.
    replaceFile(path, config(server, ['a', 'b'], '  concurrency: 0\n'));
    const failure = await service.waitForLog((line) => line.msg?.startsWith('config reload failed') ?? false);
    expect(failure.problems).toEqual([expect.stringMatching(/feeds\.yaml:5: poll\.concurrency must be at least 1/)]);
    expect(failure.msg).toContain('feeds.yaml:5: poll.concurrency must be at least 1');
    const titles = async () =>
      ((await (await fetch(`${base}/feed.json`)).json()) as { items: Array<{ title: string }> }).items.map((item) => item.title).sort();
    expect(await titles()).toEqual(['The column of feed a', 'The column of feed b']);

    // Removing a feed, applied by SIGHUP; its stored story stays in the merged feed.
    writeFileSync(path, config(server, ['b']));
    service.child.kill('SIGHUP');
    const removal = await service.waitForLog((line) => reloaded(line) && (line.feedsRemoved as string[]).includes('a'));
    expect(removal).toMatchObject({ feedsRemoved: ['a'], feeds: 1 });
    expect(await titles()).toEqual(['The column of feed a', 'The column of feed b']);
    const opml = await (await fetch(`${base}/opml`)).text();
    expect(opml).not.toContain('/a.xml');
    expect(opml).toContain('/b.xml');

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  it('reschedules polling and digests when their settings change', async () => {
    const dir = makeTempDir();
    const server = await serveForTest({ '/a.xml': serveBody(rss('a')) });
    const path = join(dir, 'feeds.yaml');
    writeFileSync(path, config(server, ['a']));
    const service = startService(path, join(dir, 'data'));
    await service.waitForLog(message('poll cycle finished'));
    const digest = `digests:\n  - id: morning\n    schedule: "0 7 * * *"\n    to: [reader@example.com]\n`;
    replaceFile(path, config(server, ['a'], '  schedule: "0 */6 * * *"\n') + digest);
    const line = await service.waitForLog(reloaded);
    expect(line).toMatchObject({ pollScheduleChanged: true, digestsChanged: ['morning'], feedsAdded: [] });
    expect(new Date(String(line.nextPoll)).getUTCHours() % 6).toBe(0);
    // SIGHUP with the file unchanged still re-reads the digest templates.
    service.child.kill('SIGHUP');
    expect(await service.waitForLog(message('config unchanged'))).toMatchObject({ trigger: 'SIGHUP', templatesReloaded: true });
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  it('applies nothing of an edit whose digest templates cannot be loaded', async () => {
    const dir = makeTempDir();
    const server = await serveForTest({ '/a.xml': serveBody(rss('a')), '/b.xml': serveBody(rss('b')) });
    const path = join(dir, 'feeds.yaml');
    writeFileSync(path, config(server, ['a']));
    const service = startService(path, join(dir, 'data'));
    await service.waitForLog(message('poll cycle finished'));
    const digest = `templates: no-such-folder\ndigests:\n  - id: morning\n    to: [reader@example.com]\n`;
    replaceFile(path, config(server, ['a', 'b']) + digest);
    const failure = await service.waitForLog((line) => line.msg?.startsWith('config reload failed') ?? false);
    expect(failure.msg).toMatch(/no-such-folder/);
    // Feed b was not added: the reload applied whole or not at all.
    service.child.kill('SIGHUP');
    await service.waitForLog((line) => (line.msg?.startsWith('config reload failed') ?? false) && line.trigger === 'SIGHUP');
    expect(server.requestsTo('/b.xml')).toHaveLength(0);
    expect(service.logs.some(reloaded)).toBe(false);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });
});
