import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { message, startService } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

async function setUp(name: string): Promise<{ configPath: string; dataDir: string }> {
  const server = await serveForTest({
    '/feed.xml': serveBody(
      `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>A column for the lock test</title><link>https://t.example.com/1</link></item></channel></rss>`,
      { headers: { 'content-type': 'application/rss+xml' } },
    ),
  });
  const configPath = join(root, `${name}.yaml`);
  writeFileSync(
    configPath,
    `server:\n  port: 0\npoll:\n  allowPrivateAddresses: true\nfeeds:\n  - url: ${server.url('/feed.xml')}\n    id: t\n`,
  );
  return { configPath, dataDir: join(root, `${name}-data`) };
}

describe('the data folder lock', () => {
  it('refuses a second columnwire run on the same folder (exit 2, naming the pid) while one-shot commands work beside it', async () => {
    const { configPath, dataDir } = await setUp('second-run');
    const first = startService(configPath, dataDir);
    await first.waitForLog(message('poll cycle finished'), 'the first poll cycle');

    const second = await runCli(['--config', configPath, '--data', dataDir, 'run']);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`another columnwire run (pid ${first.child.pid}) is using ${dataDir}`);
    expect(second.stderr).not.toContain('columnwire started');

    const poll = await runCli(['--config', configPath, '--data', dataDir, 'poll', '--force']);
    expect(poll.stderr).toBe('');
    expect(poll.code).toBe(0);
    expect(poll.stdout).toContain('1 feeds:');
    const stats = await runCli(['--config', configPath, '--data', dataDir, 'stats']);
    expect(stats.code).toBe(0);

    // The first one did not notice any of it.
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  }, 120_000);

  it('is released when the service stops (SIGTERM) and when it is killed (SIGKILL): never stale', async () => {
    const { configPath, dataDir } = await setUp('release');
    const first = startService(configPath, dataDir);
    await first.url();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = startService(configPath, dataDir);
    await second.url();
    second.child.kill('SIGKILL');
    expect(await second.exited).toBe('SIGKILL');

    // The killed one left its pid file; the lock went with the process.
    const third = startService(configPath, dataDir);
    await third.url();
    const refused = await runCli(['--config', configPath, '--data', dataDir, 'run']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`(pid ${third.child.pid})`);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  }, 120_000);
});
