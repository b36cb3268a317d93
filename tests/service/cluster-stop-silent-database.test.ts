/**
 * SIGTERM to cluster processes whose database has gone silent (a partition: sockets open,
 * nothing answers). The pools wait for queries that never answer, so the stop never ended:
 * the process hung after "stopping" until its supervisor's SIGKILL, or for ever under one that
 * waits. Now a stop that outlasts twice the grace period and 10 s more says so and exits 1; a
 * stop whose database answers (or refuses at once) still exits 0.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startPostgresProxy } from '../helpers/postgres-proxy.ts';
import { message, startService } from '../helpers/service.ts';
import { postgresBackend, schemaUrl } from '../helpers/store-backends.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
const GRACE_SECONDS = 1;
const TICK_SECONDS = 2;

describe('stopping a cluster process', () => {
  it.each([
    ['silent', 1],
    ['refuse', 0],
  ] as const)(
    'whose database is %s ends, with exit %d',
    async (mode, code) => {
      const schema = await postgresBackend.newLocation();
      const proxy = await startPostgresProxy(schemaUrl(schema));
      const config = join(dir, `${mode}.yaml`);
      writeFileSync(
        config,
        [
          'server:',
          '  port: 0',
          `shutdownGraceSeconds: ${GRACE_SECONDS}`,
          'feeds:',
          '  - url: https://jane.example.com/feed',
          '    id: jane',
          '',
        ].join('\n'),
      );
      const env = {
        COLUMNWIRE_DATABASE_URL: proxy.url,
        COLUMNWIRE_QUEUE_SCHEMA: `${schema}_jobs`,
        COLUMNWIRE_CLUSTER_TICK_SECONDS: String(TICK_SECONDS),
      };
      const fleet = ['worker', 'http,scheduler'].map((roles, index) =>
        startService(config, join(dir, `${mode}-${index}`), env, ['run', '--roles', roles]),
      );
      await Promise.all(fleet.map((process) => process.waitForLog(message('columnwire started'), 'the process started')));
      // A planner tick done, so the scheduler's connections are in use too.
      await fleet[1]!.waitForLog(message('poll planner queued the due feeds'), 'a planner tick');
      proxy.set(mode);
      // Silent: the next planner ticks (every TICK_SECONDS) send their queries into the silence and
      // wait on them, as a partition catches a working process. Stopped at once after the last
      // tick, a process with nothing in flight ends its pools cleanly and exits 0 (seen once).
      if (mode === 'silent') await sleep(2 * TICK_SECONDS * 1000 + 500);
      const stopped = Date.now();
      for (const process of fleet) process.child.kill('SIGTERM');
      const codes = await Promise.all(fleet.map((process) => process.exited));
      expect(codes).toEqual([code, code]);
      // 2 × grace + 10 s, and room for a loaded machine.
      expect(Date.now() - stopped).toBeLessThan(25_000);
      if (mode === 'silent') {
        for (const process of fleet) {
          expect(process.logs.some((line) => line.msg === 'stopping took too long (is the database reachable?); exiting')).toBe(true);
        }
      }
    },
    45_000,
  );
});
