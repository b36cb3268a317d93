import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { message, startService } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

/** What someone tidying the data folder deletes: the files look like leftovers of a crash. */
function deleteLockFiles(dataDir: string): void {
  for (const name of ['run.lock', 'run.lock-journal', 'run.pid']) rmSync(join(dataDir, name), { force: true });
}
const relocked = message('the data folder lock file was deleted or replaced; locked it again. Do not delete it while the service runs');

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
    expect(poll.stdout).toMatch(/^1 feeds?:/m);
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

  it('locks run.lock again when it is deleted under the running service, so a second run still exits 2', async () => {
    const { configPath, dataDir } = await setUp('deleted');
    // Checks every 100 ms here (5 s by default); the test awaits the re-lock, it does not sleep.
    const first = startService(configPath, dataDir, { COLUMNWIRE_LOCK_CHECK_MS: '100' });
    await first.url();
    deleteLockFiles(dataDir);
    await first.waitForLog(relocked, 'the re-lock of the deleted run.lock');

    const second = await runCli(['--config', configPath, '--data', dataDir, 'run']);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`another columnwire run (pid ${first.child.pid}) is using ${dataDir}`);
    // The pid file is back too, saying what it is.
    expect(readFileSync(join(dataDir, 'run.pid'), 'utf8')).toMatch(
      new RegExp(`^${first.child.pid}\n# columnwire run .*Do not delete`, 's'),
    );
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  }, 60_000);

  it('stops with exit 2, naming both pids, when another run locked the deleted run.lock first', async () => {
    const { configPath, dataDir } = await setUp('taken');
    // No timed check in this test: SIGHUP makes the first service check its lock at a known moment.
    const first = startService(configPath, dataDir, { COLUMNWIRE_LOCK_CHECK_MS: '3600000' });
    await first.url();
    deleteLockFiles(dataDir);
    const second = startService(configPath, dataDir, { COLUMNWIRE_LOCK_CHECK_MS: '3600000' });
    await second.url();

    first.child.kill('SIGHUP');
    expect(await first.exited).toBe(2);
    expect(first.stderr()).toContain(
      `another columnwire run (pid ${second.child.pid}) locked ${dataDir} after ${join(dataDir, 'run.lock')} was deleted; this one (pid ${first.child.pid}) stops`,
    );
    // The one left keeps the folder: its pid file stays, and a third run is refused naming it.
    const third = await runCli(['--config', configPath, '--data', dataDir, 'run']);
    expect(third.code).toBe(2);
    expect(third.stderr).toContain(`(pid ${second.child.pid})`);
    expect(second.child.exitCode).toBeNull();
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);
});
