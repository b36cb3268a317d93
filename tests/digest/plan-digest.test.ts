import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { digestFeedIds, digestMessageId, digestRecipients, planDigest } from '../../src/digest/plan-digest.ts';
import { column, DIGEST_NOW, digestConfigYaml, startDigestApp } from '../helpers/digest-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const HOUR = 3600_000;

describe('digestFeedIds', () => {
  it.each([
    ['no filter: every feed', '', undefined],
    ['feeds only', '    feeds: [bob]\n', ['bob']],
    ['a tag shared by two feeds', '    tags: [politics]\n', ['jane', 'ann']],
    ['tags and feeds together (either matches)', '    tags: [economy]\n    feeds: [ann]\n', ['bob', 'ann']],
    ['a feed also matched by a tag, once', '    tags: [uk]\n    feeds: [jane]\n', ['jane']],
  ])('%s', (_case, filter, expected) => {
    const config = parseConfig(digestConfigYaml(`  - id: d\n    to: [r@example.org]\n${filter}`), 'feeds.yaml');
    expect(digestFeedIds(config.digests[0]!, config)).toEqual(expected);
  });
});

describe('planDigest', () => {
  it('covers the stories first stored in the last 24 hours on a first run', async () => {
    const digestApp = await startDigestApp({
      root,
      digests: '  - id: d\n    to: [r@example.org]\n',
      now: new Date(DIGEST_NOW.getTime() - 30 * HOUR),
    });
    await digestApp.save('jane', [column('30h', DIGEST_NOW, 30)]);
    digestApp.advance(6 * HOUR); // now 24 hours before the run: on the edge, so still "before"
    await digestApp.save('jane', [column('24h', DIGEST_NOW, 24)]);
    digestApp.advance(1000);
    await digestApp.save('jane', [column('just-inside', DIGEST_NOW, 24)]);
    digestApp.advance(12 * HOUR);
    await digestApp.save('bob', [column('12h', DIGEST_NOW, 12)]);
    const plan = await planDigest(digestApp.digest('d'), digestApp.app.config, digestApp.app.store, DIGEST_NOW);
    expect(plan.stories.map((story) => story.link?.split('/').pop())).toEqual(['12h', 'just-inside']);
    expect(plan.fromStoryId).toBe(2);
    expect(plan.toStoryId).toBe(4);
  });

  it('starts where the previous run ended, whatever the dates', async () => {
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    to: [r@example.org]\n' });
    await digestApp.save('jane', [column('a', DIGEST_NOW, 1), column('b', DIGEST_NOW, 2)]);
    const firstPlan = await planDigest(digestApp.digest('d'), digestApp.app.config, digestApp.app.store, DIGEST_NOW);
    await digestApp.app.store.createDigestRun({
      digestId: 'd',
      createdAt: DIGEST_NOW,
      fromStoryId: firstPlan.fromStoryId,
      toStoryId: firstPlan.toStoryId,
      storyIds: firstPlan.stories.map((story) => story.id),
      subject: 's',
      recipients: [],
    });
    await digestApp.save('bob', [column('old-but-new', DIGEST_NOW, 40)]);
    const next = await planDigest(digestApp.digest('d'), digestApp.app.config, digestApp.app.store, new Date(DIGEST_NOW.getTime() + HOUR));
    expect(next.fromStoryId).toBe(firstPlan.toStoryId);
    expect(next.stories.map((story) => story.link?.split('/').pop())).toEqual(['old-but-new']);
  });

  it('orders stories newest first and honours the feed filter', async () => {
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    tags: [politics]\n    to: [r@example.org]\n' });
    await digestApp.save('jane', [column('j-old', DIGEST_NOW, 5), column('j-new', DIGEST_NOW, 1)]);
    await digestApp.save('bob', [column('b', DIGEST_NOW, 2)]);
    await digestApp.save('ann', [column('a', DIGEST_NOW, 3)]);
    const plan = await planDigest(digestApp.digest('d'), digestApp.app.config, digestApp.app.store, DIGEST_NOW);
    expect(plan.stories.map((story) => story.link?.split('/').pop())).toEqual(['j-new', 'a', 'j-old']);
  });

  it('sends once to each address, lower-cased, leaving out the unsubscribed', async () => {
    const digestApp = await startDigestApp({
      root,
      digests: '  - id: d\n    to: [A@Example.org, a@example.org, b@example.org, Gone@example.org]\n',
    });
    await digestApp.app.store.unsubscribe('GONE@example.org', 'd', DIGEST_NOW);
    const plan = await planDigest(digestApp.digest('d'), digestApp.app.config, digestApp.app.store, DIGEST_NOW);
    expect(plan.listed.map((recipient) => recipient.address)).toEqual(['a@example.org', 'b@example.org']);
  });

  it('adds the subscribers kept as data after the to: list, each once, with their names, none unsubscribed', async () => {
    const digestApp = await startDigestApp({
      root,
      digests: '  - id: d\n    to: ["Ann <ann@example.org>"]\n  - id: other\n    to: x@example.org\n',
    });
    const { store } = digestApp.app;
    await store.addSubscribers(
      'd',
      [
        { address: 'ANN@example.org', name: 'Annie' },
        { address: 'zed@example.org', name: 'Zed Z' },
        { address: 'bob@example.org', name: null },
        { address: 'left@example.org', name: null },
        { address: 'everywhere@example.org', name: null },
      ],
      DIGEST_NOW,
    );
    await store.addSubscribers('other', [{ address: 'not-d@example.org', name: null }], DIGEST_NOW);
    await store.unsubscribe('left@example.org', 'd', DIGEST_NOW);
    await store.unsubscribe('everywhere@example.org', null, DIGEST_NOW);
    expect(await digestRecipients(digestApp.digest('d'), store)).toEqual([
      { address: 'ann@example.org', name: 'Ann' },
      { address: 'bob@example.org', name: null },
      { address: 'zed@example.org', name: 'Zed Z' },
    ]);
  });
});

describe('digestMessageId', () => {
  const at = new Date('2026-07-01T07:00:00Z');
  it('is stable for a run and recipient, whatever the case of the address', () => {
    expect(digestMessageId('daily', at, 'R@Example.org', 'Columnwire <digest@columns.example.net>')).toBe(
      digestMessageId('daily', at, 'r@example.org', 'Columnwire <digest@columns.example.net>'),
    );
  });

  it.each([
    ['another recipient', ['daily', at, 's@example.org']],
    ['another run', ['daily', new Date(at.getTime() + 1), 'r@example.org']],
    ['another digest', ['weekly', at, 'r@example.org']],
  ] as const)('differs for %s', (_case, [id, when, address]) => {
    expect(digestMessageId(id, when, address, 'x@columns.example.net')).not.toBe(
      digestMessageId('daily', at, 'r@example.org', 'x@columns.example.net'),
    );
  });

  it.each([
    ['Columnwire <digest@columns.example.net>', /^<daily\.\d+\.[0-9a-f]{16}@columns\.example\.net>$/],
    ['digest@mail.example.org', /^<daily\.\d+\.[0-9a-f]{16}@mail\.example\.org>$/],
  ])('takes its domain from the sender %s', (from, pattern) => {
    expect(digestMessageId('daily', at, 'r@example.org', from)).toMatch(pattern);
  });
});
