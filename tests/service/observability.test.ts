import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { message, startService } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title>
<item><title>First column</title><link>https://good.example.com/1</link><guid>g-1</guid><pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>
<item><title>Second column</title><link>https://good.example.com/2</link><guid>g-2</guid><pubDate>Fri, 20 Nov 2026 09:00:00 GMT</pubDate></item>
</channel></rss>`;

async function setUp() {
  const dir = makeTempDir();
  const server = await serveForTest({ '/good.xml': serveBody(rss), '/broken.xml': serveBody('oops', { status: 500 }) });
  const path = join(dir, 'feeds.yaml');
  writeFileSync(
    path,
    `server:\n  port: 0\npoll:\n  allowPrivateAddresses: [127.0.0.1]\nfeeds:\n  - url: ${server.url('/good.xml')}\n    id: good\n  - url: ${server.url('/broken.xml')}\n    id: broken\n`,
  );
  return { dir, path, data: join(dir, 'data') };
}

/** The value of one sample line of the Prometheus text, e.g. `columnwire_fetches_total{outcome="failed"}`. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (!line) throw new Error(`no sample ${name} in:\n${text}`);
  return Number(line.slice(name.length + 1));
}

describe('metrics, readiness, stats and logs', () => {
  it('exports fetches by outcome, durations, stories, feeds in error and the last poll on /metrics, and stats prints the same', async () => {
    const { path, data } = await setUp();
    const service = startService(path, data);
    const base = await service.url();
    const summary = await service.waitForLog(message('poll cycle finished'));
    expect(summary).toMatchObject({ feeds: 2, added: 2, updated: 0, notModified: 0, failed: 1 });
    expect(summary.durationMs).toEqual(expect.any(Number));

    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(sample(text, 'columnwire_fetches_total{outcome="stored"}')).toBe(1);
    expect(sample(text, 'columnwire_fetches_total{outcome="failed"}')).toBe(1);
    expect(sample(text, 'columnwire_fetches_total{outcome="not_modified"}')).toBe(0);
    expect(sample(text, 'columnwire_fetch_duration_seconds_count{outcome="stored"}')).toBe(1);
    expect(sample(text, 'columnwire_fetch_duration_seconds_count{outcome="failed"}')).toBe(1);
    expect(sample(text, 'columnwire_stories_stored_total')).toBe(2);
    expect(sample(text, 'columnwire_stories')).toBe(2);
    expect(sample(text, 'columnwire_feeds')).toBe(2);
    expect(sample(text, 'columnwire_feeds_in_error')).toBe(1);
    expect(sample(text, 'columnwire_last_poll_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(text).toContain('# TYPE columnwire_fetch_duration_seconds histogram');
    expect(text).toContain('process_resident_memory_bytes');

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', ready: true });

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);

    // The figures outlive the process: stats reads them from the database.
    const stats = await runCli(['--config', path, '--data', data, 'stats', '--json']);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({
      counters: { 'fetches.stored': 1, 'fetches.failed': 1, 'fetches.not_modified': 0, 'stories.added': 2 },
      stories: 2,
      feeds: 2,
      feedsInError: 1,
      ready: true,
      feedsFailing: [{ id: 'broken', consecutiveErrors: 1, lastError: expect.stringMatching(/HTTP 500/) }],
    });
    const human = await runCli(['--config', path, '--data', data, 'stats']);
    expect(human.stdout).toMatch(/Feeds\s+2 in the config, 1 in error/);
    expect(human.stdout).toMatch(/Fetches\s+1 with content, 0 not modified, 1 failed/);
    expect(human.stdout).toMatch(/broken: 1 in a row, last: HTTP 500/);
  });

  it('is not ready before any poll cycle finished (serve alone, fresh database)', async () => {
    const { path, data } = await setUp();
    const service = startService(path, data, {}, 'serve');
    const response = await fetch(`${await service.url()}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ ready: false, reason: 'no poll cycle has finished yet' });
    expect((await fetch(`${await service.url()}/healthz`)).status).toBe(200);
    const url = new URL(await service.url());
    const env = { HOST: url.hostname, PORT: url.port };
    const alive = await runCli(['healthcheck'], { env });
    expect(alive).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ok: http:\/\/127\.0\.0\.1:\d+\/healthz/) });
    const ready = await runCli(['healthcheck', '--ready'], { env });
    expect(ready.code).toBe(1);
    expect(ready.stderr).toContain('answered HTTP 503');
    expect(ready.stderr).toContain('no poll cycle has finished yet');
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    const down = await runCli(['healthcheck'], { env });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/no answer from .*\/healthz \(ECONNREFUSED\); is "columnwire run" running\?/);
  });

  it('writes readable lines instead of JSON when asked (as on a terminal)', async () => {
    const { path, data } = await setUp();
    const result = await runCli(['--config', path, '--data', data, 'poll'], { env: { LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' } });
    const lines = result.stderr.split('\n').filter((line) => line.includes('poll cycle finished'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/^\{/);
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO/);
  });

  it('never logs the SMTP password or the token secret, even when sending fails', async () => {
    const { path, data } = await setUp();
    writeFileSync(path, `${readFileSync(path, 'utf8')}digests:\n  - id: daily\n    to: [reader@example.com]\n    skipEmpty: false\n`);
    const smtp = await smtpServerForTest({ rejectRecipient: () => ({ code: 550, message: 'No such user here' }) });
    const smtpUrl = smtp.url.replace('smtp://', 'smtp://digest-user:hunter2-smtp-pass@');
    const env = { SMTP_URL: smtpUrl, COLUMNWIRE_SECRET: 'token-secret-0123456789abcdef', LOG_LEVEL: 'debug' };
    const poll = await runCli(['--config', path, '--data', data, 'poll'], { env });
    const digest = await runCli(['--config', path, '--data', data, 'digest'], { env });
    const check = await runCli(['--config', path, '--data', data, 'check'], { env });
    const everything = [poll, digest, check].map((result) => result.stdout + result.stderr).join('\n');
    expect(digest.stderr + digest.stdout).toMatch(/No such user here/);
    expect(smtp.rcptAttempts.get('reader@example.com')).toBe(1);
    expect(everything).not.toContain('hunter2-smtp-pass');
    expect(everything).not.toContain('token-secret-0123456789abcdef');
  });
});
