/**
 * The http role while its database is unreachable, reached through a TCP proxy the test cuts:
 * down (connections refused and reset) and silent (a partition: sockets open, nothing answers).
 * README ("How work is shared"): /healthz and /readyz answer 503 within 5 s saying the database
 * is the trouble. So do /metrics (a scrape must not hang past Prometheus's 10 s timeout, nor
 * log a stack trace per scrape) and, with the database down, a feed never built before (503
 * with Retry-After: the outage is temporary, not the reader's error nor the server's bug). They
 * answered 500 "Internal error" (a silent database held /metrics 30 s first). A feed built before
 * is answered within 3 s with the bytes last built (a silent database held it 30 s, past most
 * readers' timeouts). Once the database is back, all answer 200.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { VERSION_RECHECK_MS } from '../../src/storage/content-version.ts';
import { startPostgresProxy } from '../helpers/postgres-proxy.ts';
import { startService } from '../helpers/service.ts';
import { postgresBackend, schemaUrl } from '../helpers/store-backends.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
/**
 * What is asked: the probes and /metrics always; a feed never built only of a database down
 * (silent, its pool gives up after 30 s). /feed.xml is built before the outage.
 */
const PATHS = { refuse: ['/healthz', '/readyz', '/metrics', '/feed.atom'], silent: ['/healthz', '/readyz', '/metrics'] };
const BUILT = '/feed.xml';

/** Status, body and how long it took, for each path at once. */
async function probe(base: string, paths: readonly string[] = PATHS.refuse) {
  return Promise.all(
    paths.map(async (path) => {
      const started = Date.now();
      const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(25_000) });
      return {
        path,
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        etag: response.headers.get('etag'),
        body: await response.text(),
        ms: Date.now() - started,
      };
    }),
  );
}

describe('the http role with its database unreachable', () => {
  it.each(['refuse', 'silent'] as const)(
    'answers 503 within the probe deadline when the database is %s, and 200 once it is back',
    async (mode) => {
      const schema = await postgresBackend.newLocation();
      const proxy = await startPostgresProxy(schemaUrl(schema));
      const config = join(dir, `${mode}.yaml`);
      writeFileSync(config, ['server:', '  port: 0', 'feeds:', '  - url: https://jane.example.com/feed', '    id: jane', ''].join('\n'));
      const env = { COLUMNWIRE_DATABASE_URL: proxy.url, COLUMNWIRE_QUEUE_SCHEMA: `${schema}_jobs`, COLUMNWIRE_CLUSTER_TICK_SECONDS: '2' };
      const web = startService(config, join(dir, mode), env, ['run', '--roles', 'http,scheduler']);
      const base = await web.url();
      for (const answer of await probe(base, ['/healthz', '/metrics', BUILT])) expect(answer.status, answer.path).toBe(200);
      const [built] = await probe(base, [BUILT]);

      proxy.set(mode);
      // Past the while the server trusts the version it last read: every request asks the database.
      await sleep(VERSION_RECHECK_MS + 50);
      const [kept] = await probe(base, [BUILT]);
      expect(kept).toMatchObject({ status: 200, etag: built!.etag, body: built!.body });
      expect(kept!.ms).toBeLessThan(9_000);
      // Silent, the version is waited for 3 s (STALE_AFTER_MS), not the pool's 30 s.
      if (mode === 'silent') expect(kept!.ms).toBeGreaterThanOrEqual(2_900);
      for (const answer of await probe(base, PATHS[mode])) {
        expect(answer.status, `${answer.path}: ${answer.body}`).toBe(503);
        expect(answer.ms, answer.path).toBeLessThan(9_000);
        expect(answer.body, answer.path).toMatch(/database|store/);
        if (answer.path === '/feed.atom' || answer.path === '/metrics') expect(answer.retryAfter, answer.path).not.toBeNull();
        // A public page says nothing of where the database is.
        if (answer.path === '/feed.atom') expect(answer.body).not.toMatch(/127\.0\.0\.1|ECONN|:\d{4,5}/);
      }
      expect(web.logs.filter((line) => line.msg === 'http request failed')).toEqual([]);

      proxy.set('pass');
      for (let attempt = 0; ; attempt++) {
        const answers = await probe(base, [...PATHS.refuse, BUILT]);
        if (answers.filter((answer) => answer.path !== '/readyz').every((answer) => answer.status === 200)) break;
        if (attempt === 40) throw new Error(`not back: ${JSON.stringify(answers)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(web.child.exitCode).toBe(null);
    },
    60_000,
  );
});
