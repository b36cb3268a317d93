import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { problemsOf } from '../helpers/config-problems.ts';

const dir = makeTempDir();
// Lines 1-4: two feeds; "digests:" or "mail:" starts on line 5 or later.
const FEEDS = `feeds:
  - url: https://a.example.com/f
    id: jane
    tags: [politics]
`;

describe('the digests: and mail: keys', () => {
  it('fills every digest default from an id and a recipient', () => {
    const config = parseConfig(`${FEEDS}digests:\n  - id: daily\n    to: [r@example.org]\n`, 'feeds.yaml');
    expect(config.digests).toEqual([
      {
        id: 'daily',
        schedule: '0 7 * * *',
        timezone: 'UTC',
        subject: 'Columns for {date} ({count})',
        to: ['r@example.org'],
        tags: [],
        feeds: [],
        groupBy: 'outlet',
        maxItems: 100,
        maxAgeHours: 48,
        skipEmpty: true,
        signup: false,
        recipientNames: {},
      },
    ]);
    expect(config.mail).toEqual({ from: 'Columnwire <columnwire@localhost>', bounceThreshold: 3, retryPendingSeconds: 300 });
    expect(config.templates).toBeNull();
    expect(Object.isFrozen(config.digests[0]!.to)).toBe(true);
  });

  it.each([
    'digest@localhost',
    'Columns <digest@columns.example.net>',
    '"Doe, Jane" <jane@mail>',
    'Ünïcode Désk <desk@exämple.org>',
    'digest@example.net (Columnwire)',
  ])('takes mail.from %s as it is written', (from) => {
    expect(parseConfig(`${FEEDS}mail:\n  from: '${from}'\n`, 'feeds.yaml').mail.from).toBe(from);
  });

  it.each([
    ['without to:', 'digests:\n  - id: daily\n'],
    ['with an empty to:', 'digests:\n  - id: daily\n    to: []\n'],
  ])('takes a digest %s: it goes to its subscribers kept as data (columnwire subscribers)', (_name, yaml) => {
    expect(parseConfig(`${FEEDS}${yaml}`, 'feeds.yaml').digests[0]).toMatchObject({ id: 'daily', to: [] });
  });

  it('reads every documented digest key', () => {
    const config = parseConfig(
      `title: T
mail:
  from: Columns <digest@columns.example.net>
templates: ./my-templates
${FEEDS}digests:
  - id: morning.brief
    schedule: "30 6 * * 1-5"
    timezone: America/New_York
    subject: "{title}: {count} new on {date}"
    to: [a@example.org, " b@example.org "]
    tags: [politics]
    feeds: [jane]
    groupBy: columnist
    maxItems: 25
    maxAgeHours: 336
    skipEmpty: false
`,
      '/etc/columnwire/feeds.yaml',
    );
    expect(config.mail.from).toBe('Columns <digest@columns.example.net>');
    expect(config.templates).toBe('/etc/columnwire/my-templates');
    expect(config.digests[0]).toEqual({
      id: 'morning.brief',
      schedule: '30 6 * * 1-5',
      timezone: 'America/New_York',
      subject: '{title}: {count} new on {date}',
      to: ['a@example.org', 'b@example.org'],
      tags: ['politics'],
      feeds: ['jane'],
      groupBy: 'columnist',
      maxItems: 25,
      maxAgeHours: 336,
      skipEmpty: false,
      signup: false,
      recipientNames: {},
    });
  });

  it.each([
    [
      'a bad time zone',
      'digests:\n  - id: daily\n    timezone: Europe/Londn\n    to: [r@example.org]\n',
      ['feeds.yaml:7: digests[0].timezone must be an IANA time zone name like Europe/London or America/New_York, got "Europe/Londn"'],
    ],
    [
      'bad email addresses',
      'digests:\n  - id: daily\n    to:\n      - r@example.org\n      - not-an-email\n      - "r@localhost"\n',
      [
        'feeds.yaml:9: digests[0].to[1] must be an email address like reader@example.com or "Jane Doe <jane@example.com>", got "not-an-email"',
        'feeds.yaml:10: digests[0].to[2] must be an email address like reader@example.com or "Jane Doe <jane@example.com>", got "r@localhost"',
      ],
    ],
    [
      'an unknown feed id and tag',
      'digests:\n  - id: daily\n    to: [r@example.org]\n    feeds: [jane, nobody]\n    tags: [politics, sport]\n',
      ['feeds.yaml:8: digests[0].feeds[1] no feed has the id "nobody"', 'feeds.yaml:9: digests[0].tags[1] no feed has the tag "sport"'],
    ],
    [
      'a duplicate digest id',
      'digests:\n  - id: daily\n    to: [r@example.org]\n  - id: weekly\n    to: [r@example.org]\n  - id: daily\n    to: [s@example.org]\n',
      ['feeds.yaml:10: digests[2].id id "daily" is already used by digests[0]'],
    ],
    [
      'a digest id that is not a slug',
      'digests:\n  - id: Daily Digest\n    to: [r@example.org]\n',
      ['feeds.yaml:6: digests[0].id must be a slug: lower-case letters, digits, "-", "_" or "."'],
    ],
    [
      'an unknown groupBy',
      'digests:\n  - id: daily\n    to: [r@example.org]\n    groupBy: paper\n',
      ['feeds.yaml:8: digests[0].groupBy must be one of outlet, columnist, tag, none'],
    ],
    [
      'maxItems out of range',
      'digests:\n  - id: daily\n    to: [r@example.org]\n    maxItems: 0\n',
      ['feeds.yaml:8: digests[0].maxItems must be at least 1'],
    ],
    [
      'an unknown digest key, on its line',
      'digests:\n  - id: daily\n    to: [r@example.org]\n    colour: red\n',
      ['feeds.yaml:8: digests[0] has an unknown key "colour"'],
    ],
    [
      'an unknown mail key, on its line',
      'mail:\n  from: a@example.org\n  host: smtp.example.org\n',
      ['feeds.yaml:7: mail has an unknown key "host"'],
    ],
    ['an empty sender', 'mail:\n  from: ""\n', ['feeds.yaml:6: mail.from must not be empty']],
    ...[
      ['not an address', 'Columnwire digests'],
      ['two senders', 'a@example.org, b@example.org'],
      ['an unclosed bracket', 'Columns <digest@example.org'],
      ['a header break in the name', 'Columns\\r\\nBcc: all@example.org <digest@example.org>'],
      ['an address without a local part', '@example.org'],
    ].map(([name, from]): [string, string, string[]] => [
      `a sender that is ${name}`,
      `mail:\n  from: "${from}"\n`,
      [
        `feeds.yaml:6: mail.from must be one sender address like digest@example.com or "Columns <digest@example.com>", got ${JSON.stringify(from!.replace(/\\r\\n/g, '\r\n'))}`,
      ],
    ]),
    [
      'digests that are not a list',
      'digests:\n  id: daily\n',
      ['feeds.yaml:5: digests must be a list of digests, each starting with "- id: ..."'],
    ],
  ])('reports %s with file:line', (_case, yaml, expected) => {
    expect(problemsOf(`${FEEDS}${yaml}`)).toEqual(expected);
  });

  it('reports a bad cron schedule on its line', () => {
    expect(problemsOf(`${FEEDS}digests:\n  - id: daily\n    to: [r@example.org]\n    schedule: "61 * * * *"\n`)).toEqual([
      expect.stringMatching(/^feeds\.yaml:8: digests\[0\]\.schedule must be a cron expression: .*61/),
    ]);
  });

  it('lists every problem of every digest at once, in line order', () => {
    const problems = problemsOf(
      `${FEEDS}digests:\n  - id: a\n    timezone: Mars/Olympus\n    to: [nobody]\n  - id: b\n    to: [r@example.org]\n    skipEmpty: maybe\n`,
    );
    expect(problems.map((problem) => problem.split(': ')[0])).toEqual(['feeds.yaml:7', 'feeds.yaml:8', 'feeds.yaml:11']);
  });

  it('names the real file in messages from loadConfig', () => {
    const path = join(dir, 'feeds.yaml');
    writeFileSync(path, `${FEEDS}digests:\n  - id: daily\n    timezone: Nowhere/Land\n    to: [r@example.org]\n`);
    expect(() => loadConfig(path)).toThrow(`${path}:7: digests[0].timezone must be an IANA time zone name`);
  });
});
