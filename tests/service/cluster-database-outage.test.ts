/**
 * The http role while its database is unreachable, reached through a TCP proxy the test cuts:
 * down (connections refused and reset) and silent (a partition: sockets open, nothing answers).
 * README ("How work is shared"): /healthz and /readyz answer 503 within 5 s saying the database
 * is the trouble. So do /metrics (a scrape must not hang past Prometheus's 10 s timeout, nor
 * log a stack trace per scrape) and, with the database down, the feeds (503 with Retry-After:
 * the outage is temporary, not the reader's error nor the server's bug). They answered 500
 * "Internal error" (a silent database held /metrics 30 s first). Once it is back, all answer 200.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startPostgresProxy } from '../helpers/postgres-proxy.ts';
import { startService } from '../helpers/service.ts';
import { postgresBackend, schemaUrl } from '../helpers/store-backends.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
/** What is asked: the probes and /metrics always; a feed only of a database down (silent, its pool gives up after 30 s). */
const PATHS = { refuse: ['/healthz', '/readyz', '/metrics', '/feed.xml'], silent: ['/healthz', '/readyz', '/metrics'] };

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
      for (const answer of await probe(base)) if (answer.path !== '/readyz') expect(answer.status, answer.path).toBe(200);

      proxy.set(mode);
      for (const answer of await probe(base, PATHS[mode])) {
        expect(answer.status, `${answer.path}: ${answer.body}`).toBe(503);
        expect(answer.ms, answer.path).toBeLessThan(9_000);
        expect(answer.body, answer.path).toMatch(/database|store/);
        if (answer.path === '/feed.xml' || answer.path === '/metrics') expect(answer.retryAfter, answer.path).not.toBeNull();
        // A public page says nothing of where the database is.
        if (answer.path === '/feed.xml') expect(answer.body).not.toMatch(/127\.0\.0\.1|ECONN|:\d{4,5}/);
      }
      expect(web.logs.filter((line) => line.msg === 'http request failed')).toEqual([]);

      proxy.set('pass');
      for (let attempt = 0; ; attempt++) {
        const answers = await probe(base);
        if (answers.filter((answer) => answer.path !== '/readyz').every((answer) => answer.status === 200)) break;
        if (attempt === 40) throw new Error(`not back: ${JSON.stringify(answers)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(web.child.exitCode).toBe(null);
    },
    60_000,
  );
});
