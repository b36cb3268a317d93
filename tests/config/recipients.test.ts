import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { parseMailbox } from '../../src/config/parse-mailbox.ts';
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
  ])('refuses %j', (input) => {
    expect(parseMailbox(input)).toBeNull();
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
