/** The last outputs a feed URL's secrets could reach: any log line, a config error, and `feeds add`'s refusal. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { problemsOf } from '../helpers/config-problems.ts';
import { serveBody, startFeedServer, type FeedServer } from '../helpers/feed-server.ts';
import { runMain } from '../helpers/run-main.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const PASSWORD = 's3cretPass';
const TOKEN = 't0kenValue42';

function capturedLogger(): { logger: ReturnType<typeof createLogger>; lines: () => string } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', pretty: false, destination }), lines: () => text };
}

describe('feed URL secrets', () => {
  it('never reach a log line: not in the message, a field, a nested field or an error', () => {
    const { logger, lines } = capturedLogger();
    const url = `https://alice:${PASSWORD}@feeds.example.com/members.xml?token=${TOKEN}`;
    logger.warn(`fetch of ${url} failed`);
    logger.info({ feedUrl: url, nested: { urls: [url] } }, 'feed polled');
    logger.error({ err: new Error(`GET ${url}: socket hang up`) }, 'feed poll crashed');
    logger.error(new TypeError(`fetch failed for ${url}`));
    // The WHATWG form fetch also accepts, with no "//".
    logger.warn({ feedUrl: `http:alice:${PASSWORD}@feeds.example.com/x.xml` }, 'feed failed');
    const output = lines();
    expect(output.split('\n').filter(Boolean)).toHaveLength(5);
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(TOKEN);
    // Still useful: host, path and message survive.
    expect(output).toContain('feeds.example.com/members.xml');
    expect(output).toContain('socket hang up');
  });

  it('stay out of a config error about an invalid feed URL', () => {
    const problems = problemsOf(`feeds:\n  - url: ftp://alice:${PASSWORD}@feeds.example.com/x.xml?token=${TOKEN}\n`);
    expect(problems.join('\n')).toMatch(/feeds\.yaml:2: .*must be an http\(s\) URL/);
    expect(problems.join('\n')).not.toContain(PASSWORD);
    expect(problems.join('\n')).not.toContain(TOKEN);
  });

  describe('feeds add', () => {
    let server: FeedServer;
    const dir = makeTempDir();
    beforeAll(async () => {
      server = await startFeedServer({
        '/members.xml': serveBody('<html><body>no feed here</body></html>', { headers: { 'content-type': 'text/html' } }),
      });
    });
    afterAll(() => server.close());

    it('refuses a private feed without printing its password or token', async () => {
      const config = join(dir, 'feeds.yaml');
      writeFileSync(config, 'poll:\n  allowPrivateAddresses: true\nfeeds: []\n');
      const url = server.url('/members.xml').replace('http://', `http://alice:${PASSWORD}@`) + `?token=${TOKEN}`;
      const result = await runMain(['--config', config, '--data', join(dir, 'data'), 'feeds', 'add', url]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('/members.xml');
      expect(result.stderr + result.stdout).not.toContain(PASSWORD);
      expect(result.stderr + result.stdout).not.toContain(TOKEN);
    });
  });
});
