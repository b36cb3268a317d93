/**
 * /metrics and /digests/{id}/preview are the operator's pages: served to server.adminNetworks
 * only (default loopback and private ranges), by socket address, never by X-Forwarded-For.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.ts';
import { DEFAULT_ADMIN_NETWORKS } from '../../src/config/schema.ts';
import { describeAdminRefusal } from '../../src/publish/admin-access.ts';
import { item } from '../helpers/items.ts';
import { SERVED_CONFIG, startServedApp } from '../helpers/served-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const DIGEST = `digests:
  - id: daily
    to: [reader@example.com]
`;
const withAdminNetworks = (networks: string | null) =>
  `${networks === null ? SERVED_CONFIG : SERVED_CONFIG.replace('  port: 0\n', `  port: 0\n  adminNetworks: ${networks}\n`)}${DIGEST}`;

async function served(networks: string | null) {
  const app = await startServedApp(root, withAdminNetworks(networks));
  const now = new Date();
  // Published now: a digest takes only columns published shortly before they were stored (maxAgeHours).
  await app.save('jane', [item({ id: 'a1', title: 'A column for the admin pages', published: now })], now);
  return app;
}

/** GET from a chosen local address (127.0.0.2 is loopback too, but not 127.0.0.1). */
function getFrom(
  base: string,
  path: string,
  localAddress = '127.0.0.1',
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, localAddress, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

describe('admin pages on the published port', () => {
  it('serves /metrics and the digest preview to 127.0.0.1 by default', async () => {
    const app = await served(null);
    const metrics = await getFrom(app.server.url, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('columnwire_stories');
    const preview = await getFrom(app.server.url, '/digests/daily/preview');
    expect(preview.status).toBe(200);
    expect(preview.body).toContain('A column for the admin pages');
  });

  it('refuses them with 403 naming the setting when adminNetworks excludes the client, and still serves the feeds', async () => {
    const app = await served('[10.0.0.0/8]');
    for (const path of ['/metrics', '/digests/daily/preview', '/digests/no-such-digest/preview']) {
      const response = await getFrom(app.server.url, path);
      expect(response.status, path).toBe(403);
      expect(response.body).toContain('server.adminNetworks');
      expect(response.body).toContain('127.0.0.1 is not in it');
      expect(response.body).not.toContain('columnwire_');
    }
    for (const path of ['/feed.xml', '/healthz', '/']) expect((await getFrom(app.server.url, path)).status, path).toBe(200);
  });

  it('judges the socket address: 127.0.0.1 listed, 127.0.0.2 refused', async () => {
    const app = await served('[127.0.0.1]');
    expect((await getFrom(app.server.url, '/metrics', '127.0.0.1')).status).toBe(200);
    const refused = await getFrom(app.server.url, '/metrics', '127.0.0.2');
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('127.0.0.2 is not in it');
  });

  it('applies a changed list on reload, without a restart', async () => {
    const app = await served(null);
    expect((await getFrom(app.server.url, '/metrics')).status).toBe(200);
    await app.app.reconfigure(parseConfig(withAdminNetworks('[10.0.0.0/8]'), 'feeds.yaml'));
    expect((await getFrom(app.server.url, '/metrics')).status).toBe(403);
  });

  it.each(['x-forwarded-for', 'forwarded', 'x-real-ip'])('refuses a request a proxy forwarded (%s), even from loopback', async (header) => {
    const app = await served(null);
    const value = header === 'forwarded' ? 'for=127.0.0.1' : '127.0.0.1';
    const response = await getFrom(app.server.url, '/metrics', '127.0.0.1', { [header]: value });
    expect(response.status).toBe(403);
    expect(response.body).toContain(`carries ${header}`);
    expect((await getFrom(app.server.url, '/feed.xml', '127.0.0.1', { [header]: value })).status).toBe(200);
  });
});

describe('describeAdminRefusal with the default networks', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.9.9.9', true],
    ['::1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.254', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['192.169.0.1', false],
    ['fd12::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:192.168.0.9', true],
    ['::ffff:8.8.8.8', false],
    ['8.8.8.8', false],
    ['100.64.0.1', false],
    ['2001:db8::1', false],
    ['', false],
    [undefined, false],
  ])('%s is allowed: %s', (address, allowed) => {
    const refusal = describeAdminRefusal('/metrics', address, {}, DEFAULT_ADMIN_NETWORKS);
    if (allowed) expect(refusal).toBeNull();
    else expect(refusal).toMatch(/server\.adminNetworks/);
  });

  it('allows no one with an empty list', () => {
    expect(describeAdminRefusal('/metrics', '127.0.0.1', {}, [])).toMatch(/not in it/);
  });
});

describe('server.adminNetworks in feeds.yaml', () => {
  it('defaults to loopback and the private ranges', () => {
    expect(parseConfig('feeds: []\n', 'feeds.yaml').server.adminNetworks).toEqual(DEFAULT_ADMIN_NETWORKS);
  });

  it('names the line of an entry that is not an address or range', () => {
    let error: unknown;
    try {
      parseConfig('server:\n  adminNetworks: [10.0.0.0/8, intranet]\n', 'feeds.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(
        /^feeds\.yaml:2: server\.adminNetworks\[1\] must be an IP address or CIDR range like 10\.0\.0\.0\/8, got "intranet"/,
      ),
    ]);
  });
});
