import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { serveBody, serveForTest, type FeedServer } from '../helpers/feed-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { message, startService, type LogLine, type RunningService } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const rss = (id: string) => `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed ${id}</title>
<item><title>The column of feed ${id}</title><link>https://${id}.example.com/column</link><guid>${id}-1</guid>
<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>`;

interface Entry {
  id: string;
  path: string;
  title?: string;
  tags?: string[];
}

/**
 * A daily poll tick twelve hours away (local time, as the service's cron reads it): no tick
 * can fall inside the test, so any fetch after the first cycle is one a reload or restart made.
 */
function farTick(now: Date): { schedule: string; next: Date } {
  const next = new Date(now.getTime() + 12 * 3600_000);
  next.setSeconds(0, 0);
  return { schedule: `${next.getMinutes()} ${next.getHours()} * * *`, next };
}

function config(server: FeedServer, schedule: string, entries: Entry[], comment = ''): string {
  const feeds = entries
    .map((entry) => {
      const title = entry.title ? `    title: ${entry.title}\n` : '';
      const tags = entry.tags ? `    tags: [${entry.tags.join(', ')}]\n` : '';
      return `  - url: ${server.url(entry.path)}\n    id: ${entry.id}\n${title}${tags}`;
    })
    .join('');
  return `${comment}server:\n  port: 0\npoll:\n  schedule: "${schedule}"\n  allowPrivateAddresses: [127.0.0.1]\nfeeds:\n${feeds}`;
}

/** Writes the way editors and `columnwire feeds add` do: a temp file renamed over the old one. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

const count = (service: RunningService, match: (line: LogLine) => boolean) => service.logs.filter(match).length;
/** The n-th line (counting from 1) that matches. */
const nth = (service: RunningService, match: (line: LogLine) => boolean, n: number) =>
  service.waitForLog((line) => match(line) && count(service, match) >= n, `log line #${n}`);
const reloadedOrUnchanged = (line: LogLine) => line.msg === 'config reloaded' || line.msg === 'config unchanged';

describe('columnwire run polls only what is due', () => {
  it('fetches nothing on tag, comment and title reloads or on a restart, only new, moved and due feeds', async () => {
    const dir = makeTempDir();
    const server = await serveForTest({
      '/a.xml': serveBody(rss('a')),
      '/b.xml': serveBody(rss('b')),
      '/b-moved.xml': serveBody(rss('b')),
      '/c.xml': serveBody(rss('c')),
    });
    const { schedule, next } = farTick(new Date());
    const path = join(dir, 'feeds.yaml');
    const dataDir = join(dir, 'data');
    const a: Entry = { id: 'a', path: '/a.xml' };
    const b: Entry = { id: 'b', path: '/b.xml' };
    writeFileSync(path, config(server, schedule, [a, b]));
    let service = startService(path, dataDir);
    await service.waitForLog(message('poll cycle finished'));
    expect([server.requestsTo('/a.xml').length, server.requestsTo('/b.xml').length]).toEqual([1, 1]);
    const afterStart = server.requests.length;

    // Three reloads that change nothing a fetch would see: a tag, a comment, a title.
    replaceFile(path, config(server, schedule, [{ ...a, tags: ['politics'] }, b]));
    expect(await nth(service, reloadedOrUnchanged, 1)).toMatchObject({ msg: 'config reloaded', feedsChanged: ['a'], feedsToFetch: [] });
    replaceFile(path, config(server, schedule, [{ ...a, tags: ['politics'] }, b], '# polled every day\n'));
    expect(await nth(service, reloadedOrUnchanged, 2)).toMatchObject({ msg: 'config unchanged' });
    replaceFile(
      path,
      config(
        server,
        schedule,
        [
          { ...a, tags: ['politics'] },
          { ...b, title: 'Jane Roe' },
        ],
        '# polled every day\n',
      ),
    );
    expect(await nth(service, reloadedOrUnchanged, 3)).toMatchObject({ msg: 'config reloaded', feedsChanged: ['b'], feedsToFetch: [] });

    // A fourth reload adds c and moves b: exactly those two are fetched, in a cycle of two feeds.
    // Poll cycles run one at a time, so a fetch the first three reloads had started is counted by now.
    const moved = { id: 'b', path: '/b-moved.xml', title: 'Jane Roe' };
    replaceFile(path, config(server, schedule, [{ ...a, tags: ['politics'] }, moved, { id: 'c', path: '/c.xml' }]));
    expect(await nth(service, reloadedOrUnchanged, 4)).toMatchObject({ feedsAdded: ['c'], feedsToFetch: ['b', 'c'] });
    expect(await nth(service, message('poll cycle finished'), 2)).toMatchObject({ feeds: 2 });
    const reloadRequests = server.requests.length - afterStart;
    expect(server.requestsTo('/a.xml')).toHaveLength(1);
    expect(server.requestsTo('/b.xml')).toHaveLength(1);
    expect(server.requestsTo('/b-moved.xml')).toHaveLength(1);
    expect(server.requestsTo('/c.xml')).toHaveLength(1);
    expect(reloadRequests).toBe(2);

    // `feeds` shows when the service really fetches next: the next poll tick, not the last fetch.
    const listed = await runCli(['--config', path, '--data', dataDir, 'feeds', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<{ id: string; lastFetchAt: string; nextFetchAt: string }>;
    for (const row of rows) {
      expect(row.nextFetchAt).not.toBe(row.lastFetchAt);
      expect(row.nextFetchAt).toBe(next.toISOString());
    }

    // A restart: nothing is due but the feed made overdue in the database (as if down across its tick).
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    const db = new BetterSqlite3(join(dataDir, 'columnwire.db'));
    const twoDaysAgo = Date.now() - 2 * 86_400_000;
    db.prepare(`UPDATE feeds SET last_fetch_at = ?, next_fetch_at = ? WHERE id = 'c'`).run(twoDaysAgo, twoDaysAgo);
    db.close();
    const beforeRestart = server.requests.length;
    service = startService(path, dataDir);
    expect(await service.waitForLog(message('poll cycle finished'))).toMatchObject({ feeds: 3, skipped: 2 });
    const restartRequests = server.requests.slice(beforeRestart).map((request) => request.path);
    expect(restartRequests).toEqual(['/c.xml']);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);

    const notDue = reloadRequests - 2 + restartRequests.length - 1;
    console.log(
      `poll requests to feeds not new, not moved and not due across three reloads and a restart: ${notDue} (expected 0); ` +
        `new/moved feeds fetched on reload: ${reloadRequests}, overdue feed fetched on restart: ${restartRequests.length}`,
    );
    expect(notDue).toBe(0);
  });
});
