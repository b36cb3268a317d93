/**
 * retentionDays (90 in the poll tests' config): a single process prunes the stories published
 * before it at the end of each poll cycle, and says how many.
 */
import { describe, expect, it } from 'vitest';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { START, startPollApp } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();
const DAY = 86_400_000;

/** RSS with one column per age in days before START. */
function columnsAged(days: number[]): string {
  const item = (age: number) =>
    `<item><title>Aged ${age}</title><guid>aged-${age}</guid><pubDate>${new Date(START.getTime() - age * DAY).toUTCString()}</pubDate></item>`;
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Ages</title>${days.map(item).join('')}</channel></rss>`;
}

describe('retentionDays in a poll cycle', () => {
  it('prunes, after the cycle, the stories published more than 90 days before now', async () => {
    const server = await serveForTest({ '/ages': serveBody(columnsAged([1, 30, 89])) });
    const poller = await startPollApp({ dataRoot, feeds: { ages: server.url('/ages') } });
    expect((await poller.poll()).pruned).toBe(0);
    expect(await poller.stories('ages')).toHaveLength(3);

    // 60 days and an hour on, the columns 30 and 89 days old at START are past 90 days; the feed still lists them.
    poller.advance(60 * DAY + 3600_000);
    const summary = await poller.poll({ force: true });
    expect(summary.pruned).toBe(2);
    expect((await poller.stories('ages')).map((story) => story.title)).toEqual(['Aged 1']);
  });
});
