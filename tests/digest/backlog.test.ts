import { describe, expect, it } from 'vitest';
import { planDigest } from '../../src/digest/plan-digest.ts';
import { problemsOf } from '../helpers/config-problems.ts';
import { column, DIGEST_NOW, type DigestApp, startDigestApp } from '../helpers/digest-app.ts';
import { smtpServerForTest, textOf } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** A feed's first poll: a fresh column and a backlog of 10 and 40 days, all first seen now. */
async function saveBacklog(digestApp: DigestApp, feedId: string): Promise<void> {
  const now = digestApp.clock.now;
  await digestApp.save(feedId, [
    column(`${feedId}-fresh`, now, 2, { title: `Fresh column by ${feedId}` }),
    column(`${feedId}-10d`, now, 10 * 24, { title: `Ten-day-old column by ${feedId}` }),
    column(`${feedId}-40d`, now, 40 * 24, { title: `Forty-day-old column by ${feedId}` }),
  ]);
}

async function mergedFeed(digestApp: DigestApp): Promise<string> {
  return (await (await digestApp.app.publishedFeeds()).feed({ kind: 'all' }, 'rss', 100)).identity.toString('utf8');
}

async function plannedTitles(digestApp: DigestApp, id = 'd'): Promise<string[]> {
  const plan = await planDigest(digestApp.digest(id), digestApp.app.config, digestApp.app.store, digestApp.clock.now);
  return plan.stories.map((story) => story.title ?? '');
}

describe("a new feed's backlog is not new", () => {
  it('mails only the fresh column of a feed added later, while the merged feed lists its whole backlog', async () => {
    const smtp = await smtpServerForTest();
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    to: [r@example.org]\n' });
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1, { title: 'Jane on the budget' })]);
    await digestApp.run('d', smtp.url);
    digestApp.advance(HOUR);
    await saveBacklog(digestApp, 'ann'); // ann's first poll, after the first digest
    digestApp.advance(DAY);
    const result = await digestApp.run('d', smtp.url);
    expect(result.runs.at(-1)?.stories).toBe(1);
    const text = textOf(smtp.messages.at(-1)!.parsed);
    expect(text).toContain('Fresh column by ann');
    expect(text).not.toContain('Ten-day-old column by ann');
    expect(text).not.toContain('Forty-day-old column by ann');
    const feed = await mergedFeed(digestApp);
    for (const title of ['Fresh column by ann', 'Ten-day-old column by ann', 'Forty-day-old column by ann', 'Jane on the budget'])
      expect(feed).toContain(title);
  });

  it("leaves the feeds' backlogs out of a new install's very first digest", async () => {
    const smtp = await smtpServerForTest();
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    to: [r@example.org]\n' });
    await saveBacklog(digestApp, 'jane');
    await saveBacklog(digestApp, 'bob');
    digestApp.advance(HOUR);
    const result = await digestApp.run('d', smtp.url);
    expect(result.runs[0]?.stories).toBe(2);
    const text = textOf(smtp.messages[0]!.parsed);
    expect(text).toContain('Fresh column by jane');
    expect(text).toContain('Fresh column by bob');
    expect(text).not.toContain('Ten-day-old');
    expect(text).not.toContain('Forty-day-old');
    expect(await mergedFeed(digestApp)).toContain('Forty-day-old column by bob');
  });

  it.each([
    ['the default, 48 hours', '', ['Fresh column by jane']],
    ['two weeks', '    maxAgeHours: 336\n', ['Fresh column by jane', 'Ten-day-old column by jane']],
    ['a year', '    maxAgeHours: 8760\n', ['Fresh column by jane', 'Ten-day-old column by jane', 'Forty-day-old column by jane']],
    ['one hour', '    maxAgeHours: 1\n', []],
  ])('takes maxAgeHours per digest: %s', async (_case, setting, expected) => {
    const digestApp = await startDigestApp({ root, digests: `  - id: d\n    to: [r@example.org]\n${setting}` });
    await saveBacklog(digestApp, 'jane');
    expect(await plannedTitles(digestApp)).toEqual(expected);
  });

  it('measures age at first storage, not at the run: a column stored fresh stays in a late digest', async () => {
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    to: [r@example.org]\n' });
    await digestApp.save('jane', [column('fresh', digestApp.clock.now, 47, { title: 'Stored 47 hours after publication' })]);
    digestApp.advance(23 * HOUR); // the first run's 24-hour window still holds it; it is now 70 hours old
    expect(await plannedTitles(digestApp)).toEqual(['Stored 47 hours after publication']);
  });

  it.each([
    ['no date', null],
    ['a date in the future', new Date(DIGEST_NOW.getTime() + 30 * DAY)],
  ])('counts a column with %s as published when first seen, so it is fresh', async (_case, published) => {
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    maxAgeHours: 1\n    to: [r@example.org]\n' });
    await digestApp.save('jane', [column('undated', DIGEST_NOW, 0, { title: 'A column without a usable date', published })]);
    digestApp.advance(12 * HOUR);
    expect(await plannedTitles(digestApp)).toEqual(['A column without a usable date']);
  });

  it('freezes the filtered list in the run it creates, so a resumed run sends the same', async () => {
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    maxAgeHours: 336\n    to: [r@example.org]\n' });
    await saveBacklog(digestApp, 'jane');
    const plan = await planDigest(digestApp.digest('d'), digestApp.app.config, digestApp.app.store, DIGEST_NOW);
    const run = await digestApp.app.store.createDigestRun({
      digestId: 'd',
      createdAt: DIGEST_NOW,
      fromStoryId: plan.fromStoryId,
      toStoryId: plan.toStoryId,
      storyIds: plan.stories.map((story) => story.id),
      subject: 's',
      recipients: [],
    });
    expect((await digestApp.app.store.storiesByIds(run.storyIds)).map((story) => story.title)).toEqual([
      'Fresh column by jane',
      'Ten-day-old column by jane',
    ]);
  });

  it.each([
    ['0', 'feeds.yaml:4: digests[0].maxAgeHours must be at least 1'],
    ['9000', 'feeds.yaml:4: digests[0].maxAgeHours must be at most 8760'],
    ['1.5', 'feeds.yaml:4: digests[0].maxAgeHours must be a whole number'],
  ])('refuses maxAgeHours: %s', (value, problem) => {
    expect(problemsOf(`digests:\n  - id: daily\n    to: [r@example.org]\n    maxAgeHours: ${value}\n`)).toEqual([problem]);
  });
});
