import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { createLogger } from '../../src/logger.ts';
import { item } from '../helpers/items.ts';
import { CLI } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();

describe('columnwire run and missed digests', () => {
  it('sends a digest run missed while the service was down, once, at start', async () => {
    const config = join(dir, 'feeds.yaml');
    const data = join(dir, 'data');
    writeFileSync(
      config,
      `server:\n  port: 0\npoll:\n  schedule: "0 0 1 1 *"\nfeeds:\n  - url: https://times.example.com/feed\n    id: jane\ndigests:\n  - id: daily\n    schedule: "0 7 * * *"\n    to: [reader@example.com]\n`,
    );
    // The last run was two days ago; a story arrived since; the service was down at 07:00.
    const app = await createApp({ config: loadConfig(config), dataDir: data, logger: createLogger({ level: 'silent' }) });
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await app.store.createDigestRun({
      digestId: 'daily',
      createdAt: twoDaysAgo,
      fromStoryId: 0,
      toStoryId: 0,
      storyIds: [],
      subject: 'old',
      recipients: [],
    });
    await app.store.finishDigestRunIfDone(1, twoDaysAgo);
    const now = new Date();
    await app.store.saveFetched(
      'jane',
      normalizeItems([item({ id: 'c1', title: 'The column sent at start', published: now })], now),
      {
        url: 'https://times.example.com/feed',
        etag: null,
        lastModified: null,
        ttlMinutes: null,
        nextFetchAt: new Date(now.getTime() + 86_400_000),
      },
      now,
      null,
    );
    await app.close();

    const child = spawn(process.execPath, [CLI, '--config', config, '--data', data, 'run'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'info', SMTP_URL: '' },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('"digest run finished"')) resolve();
      });
      child.on('exit', () => reject(new Error(`run exited early: ${stderr}`)));
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const outbox = readdirSync(join(data, 'outbox')).filter((name) => name.endsWith('.eml'));
    expect(outbox).toHaveLength(1);
  });
});
