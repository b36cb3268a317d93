import { describe, expect, it } from 'vitest';
import { item } from '../helpers/items.ts';
import { SERVED_CONFIG, startServedApp } from '../helpers/served-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const WITH_DIGEST = `${SERVED_CONFIG}digests:
  - id: daily
    timezone: Europe/London
    to: [reader@example.com]
`;

describe('/digests/{id}/preview', () => {
  it('shows the HTML the next run would send, recording nothing', async () => {
    const served = await startServedApp(root, WITH_DIGEST);
    const now = new Date(); // published when first stored: fresh, so within the digest's maxAgeHours
    await served.save('jane', [item({ id: 'p1', title: 'A column for the preview page', published: now })], now);
    const response = await served.get('/digests/daily/preview');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('A column for the preview page');
    expect(html).toContain('1 new column');
    expect(await served.app.store.latestDigestRun('daily')).toBeNull();
  });

  it('answers 404 for a digest that does not exist', async () => {
    const served = await startServedApp(root, WITH_DIGEST);
    expect((await served.get('/digests/weekly/preview')).status).toBe(404);
  });
});
