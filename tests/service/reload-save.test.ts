import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { message, startService } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const rss = (id: string) => `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed ${id}</title>
<item><title>The column of feed ${id}</title><link>https://${id}.example.com/column</link><guid>${id}-1</guid></item></channel></rss>`;

describe('columnwire run while feeds.yaml is being saved', () => {
  it('keeps the running config when the file is emptied (an editor truncating it before writing), and removes and refetches nothing', async () => {
    const dir = makeTempDir();
    const server = await serveForTest({ '/a.xml': serveBody(rss('a')), '/b.xml': serveBody(rss('b')) });
    const path = join(dir, 'feeds.yaml');
    const text =
      `server:\n  port: 0\npoll:\n  allowPrivateAddresses: [127.0.0.1]\nfeeds:\n` +
      `  - url: ${server.url('/a.xml')}\n    id: a\n  - url: ${server.url('/b.xml')}\n    id: b\n`;
    writeFileSync(path, text);
    const service = startService(path, join(dir, 'data'));
    await service.waitForLog(message('poll cycle finished'));

    // The first half of a save that truncates the file and then writes it (nano, `>` in a shell).
    truncateSync(path, 0);
    const skipped = await service.waitForLog((line) => line.msg?.startsWith('config reload failed') ?? false);
    expect(skipped.problems).toEqual([expect.stringMatching(/feeds\.yaml:1: the file is empty/)]);
    // The second half: the same config as before, so nothing changes.
    writeFileSync(path, text);
    await service.waitForLog(message('config unchanged'));
    // SIGHUP on an empty file is refused the same way.
    truncateSync(path, 0);
    service.child.kill('SIGHUP');
    await service.waitForLog((line) => (line.msg?.startsWith('config reload failed') ?? false) && line.trigger === 'SIGHUP');

    expect(service.logs.filter(message('config reloaded'))).toEqual([]);
    expect(server.requestsTo('/a.xml')).toHaveLength(1);
    expect(server.requestsTo('/b.xml')).toHaveLength(1);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });
});
