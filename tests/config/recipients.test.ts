import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { normalizeName, parseMailbox } from '../../src/config/parse-mailbox.ts';
import { problemsOf } from '../helpers/config-problems.ts';

describe('parseMailbox', () => {
  it.each([
    ['jane@example.com', { address: 'jane@example.com', name: null }],
    ['  jane@example.com ', { address: 'jane@example.com', name: null }],
    ['Jane Doe <jane@example.com>', { address: 'jane@example.com', name: 'Jane Doe' }],
    ['Jane   Doe<jane@example.com>', { address: 'jane@example.com', name: 'Jane Doe' }],
    ['"Doe, Jane" <jane@example.com>', { address: 'jane@example.com', name: 'Doe, Jane' }],
    ['"Jane \\"JD\\" Doe" <jane@example.com>', { address: 'jane@example.com', name: 'Jane "JD" Doe' }],
    ['<jane@example.com>', { address: 'jane@example.com', name: null }],
    ['Jane <Jane@Example.com>', { address: 'Jane@Example.com', name: 'Jane' }],
  ])('reads %j', (input, expected) => {
    expect(parseMailbox(input)).toEqual(expected);
  });

  it.each([
    'not-an-email',
    'r@localhost',
    'Jane <not-an-email>',
    'Jane <jane@example.com',
    'Doe, Jane <jane@example.com>',
    'a@example.com, b@example.com',
    '"Jane <jane@example.com>',
    'Jane\r\nBcc: x@evil.example <jane@example.com>',
    'Jane <jane@example.com> <joe@example.com>',
    '',
    'x\0y@example.com',
    'ctl\x07@example.com',
    'Jane <x\0y@example.com>',
    'del\x7f@example.com',
    'c1\u0085x@example.com',
    'bidi\u202e@example.com',
    `${'a'.repeat(65)}@example.com`,
    `a@${'b'.repeat(250)}.com`,
    `${'é'.repeat(33)}@example.com`,
  ])('refuses %j', (input) => {
    expect(parseMailbox(input)).toBeNull();
  });

  it('takes addresses up to RFC 5321 sizes: 64 octets before the @, 254 in all', () => {
    const local = 'a'.repeat(64);
    expect(parseMailbox(`${local}@example.com`)?.address).toBe(`${local}@example.com`);
    const full = `${local}@${'b'.repeat(254 - 64 - 1 - 4)}.com`;
    expect(full.length).toBe(254);
    expect(parseMailbox(full)?.address).toBe(full);
    expect(parseMailbox(`b${full}`)).toBeNull();
  });
});

describe('normalizeName', () => {
  const emoji = '\u{1F600}';
  it.each([
    ['  Jane   Doe ', 'Jane Doe'],
    ['Jane\r\nBcc: x@evil.example', 'Jane Bcc: x@evil.example'],
    ['Jane\tDoe', 'Jane Doe'],
    ['a\0b', 'ab'],
    ['\x1b[2J\x1b[31mALL DELETED\x1b[0m\x07', '[2J[31mALL DELETED[0m'],
    ['a \x07 b\x7f\u0085\u009b', 'a b'],
    ['evil\u202Etxt.exe\u2066x\u2069', 'eviltxt.exex'],
    ['', null],
    [' \r\n\x07 ', null],
    ['x'.repeat(201), 'x'.repeat(200)],
    [`${'x'.repeat(199)}${emoji}!`, `${'x'.repeat(199)}${emoji}`],
    [`${'x'.repeat(199)} y`, 'x'.repeat(199)],
  ])('keeps %j as %j', (input, expected) => {
    expect(normalizeName(input)).toBe(expected);
    // Applied again it changes nothing: a name exported imports back the same.
    if (expected !== null) expect(normalizeName(expected)).toBe(expected);
  });
});

describe('digests[].to', () => {
  const digest = (to: string) => parseConfig(`digests:\n  - id: daily\n    to: ${to}\n`, 'feeds.yaml').digests[0]!;

  it('accepts one address as a string as well as a list', () => {
    expect(digest('jane@example.com').to).toEqual(['jane@example.com']);
    expect(digest('[jane@example.com, joe@example.com]').to).toEqual(['jane@example.com', 'joe@example.com']);
  });

  it('keeps the bare address as the identity and the display name for the To header', () => {
    const parsed = digest('["Jane Doe <Jane@Example.com>", joe@example.com]');
    expect(parsed.to).toEqual(['Jane@Example.com', 'joe@example.com']);
    expect(parsed.recipientNames).toEqual({ 'jane@example.com': 'Jane Doe' });
    expect(digest('"Jane Doe <jane@example.com>"').to).toEqual(['jane@example.com']);
  });

  it.each([
    [
      'a single bad string',
      'digests:\n  - id: daily\n    to: jane\n',
      ['feeds.yaml:3: digests[0].to[0] must be an email address like reader@example.com or "Jane Doe <jane@example.com>", got "jane"'],
    ],
    [
      'a bad name-addr in a list',
      'digests:\n  - id: daily\n    to:\n      - jane@example.com\n      - "Doe, Jane <jane@example.com>"\n',
      [
        'feeds.yaml:5: digests[0].to[1] must be an email address like reader@example.com or "Jane Doe <jane@example.com>", got "Doe, Jane <jane@example.com>"',
      ],
    ],
    ['a number', 'digests:\n  - id: daily\n    to: 5\n', ['feeds.yaml:3: digests[0].to must be an email address or a list of them']],
  ])('reports %s with feeds.yaml:LINE', (_case, yaml, expected) => {
    expect(problemsOf(yaml)).toEqual(expected);
  });
});
