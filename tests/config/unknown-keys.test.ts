import { describe, expect, it } from 'vitest';
import { editDistance, nearestKey } from '../../src/config/nearest-key.ts';
import { problemsOf } from '../helpers/config-problems.ts';

describe('nearestKey', () => {
  it.each([
    ['baseURL', ['title', 'baseUrl', 'feeds'], 'baseUrl'],
    ['tilte', ['title', 'baseUrl'], 'title'],
    ['retentionDay', ['retentionDays', 'title'], 'retentionDays'],
    ['concurency', ['concurrency', 'perHostConcurrency'], 'concurrency'],
    ['skipempty', ['skipEmpty', 'maxItems'], 'skipEmpty'],
    ['colour', ['id', 'to', 'tags', 'feeds', 'subject'], null],
    ['x', ['id', 'to'], null],
    ['', ['id'], null],
  ])('suggests for %j among %j: %j', (typed, known, expected) => {
    expect(nearestKey(typed, known)).toBe(expected);
  });

  it.each([
    ['', '', 0],
    ['abc', 'abc', 0],
    ['abc', 'acb', 1],
    ['kitten', 'sitting', 3],
    ['feeds', 'feed', 1],
    ['ca', 'abc', 3],
  ])('edit distance %j → %j is %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('unknown keys in feeds.yaml', () => {
  it.each([
    [
      'at the top',
      'title: T\nbaseURL: https://a.example.com\n',
      'feeds.yaml:2: the file has an unknown key "baseURL"; did you mean baseUrl?',
    ],
    ['in poll', 'poll:\n  concurency: 2\n', 'feeds.yaml:2: poll has an unknown key "concurency"; did you mean concurrency?'],
    [
      'in a feed',
      'feeds:\n  - url: https://a.example.com/f\n    tag: [x]\n',
      'feeds.yaml:3: feeds[0] has an unknown key "tag"; did you mean tags?',
    ],
    [
      'in a digest',
      'digests:\n  - id: daily\n    to: [a@example.com]\n    skipempty: false\n',
      'feeds.yaml:4: digests[0] has an unknown key "skipempty"; did you mean skipEmpty?',
    ],
    ['in server', 'server:\n  prot: 80\n', 'feeds.yaml:2: server has an unknown key "prot"; did you mean port?'],
    ['with nothing near it', 'mail:\n  host: x\n', 'feeds.yaml:2: mail has an unknown key "host"'],
  ])('suggests the nearest known key %s', (_where, yaml, problem) => {
    expect(problemsOf(yaml)).toEqual([problem]);
  });

  it('reports each of several unknown keys on its own line', () => {
    expect(problemsOf('poll:\n  concurency: 2\n  shedule: "* * * * *"\n')).toEqual([
      'feeds.yaml:2: poll has an unknown key "concurency"; did you mean concurrency?',
      'feeds.yaml:3: poll has an unknown key "shedule"; did you mean schedule?',
    ]);
  });
});
