import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl } from '../src/redact.ts';

describe('redactUrl', () => {
  it.each([
    {
      behaviour: 'hides a userinfo password',
      url: 'https://user:secret@host.example/feed',
      expected: 'https://user:***@host.example/feed',
    },
    {
      behaviour: 'hides an SMTP password, keeping the port',
      url: 'smtp://mailer:hunter2@smtp.example.com:587',
      expected: 'smtp://mailer:***@smtp.example.com:587',
    },
    {
      behaviour: 'splits at the last "@", as URL parsers do',
      url: 'smtps://me%40x.org:p@ss@mail.example:465',
      expected: 'smtps://me%40x.org:***@mail.example:465',
    },
    {
      // Often the token itself (https://ghp_TOKEN@host/): issue 9 §3.
      behaviour: 'masks a user name without a password whole',
      url: 'https://user@host.example/feed',
      expected: 'https://***@host.example/feed',
    },
    {
      behaviour: 'hides credential query parameters only',
      url: 'https://host.example/rss?token=abc&page=2&API_KEY=xyz#top',
      expected: 'https://host.example/rss?token=***&page=2&API_KEY=***#top',
    },
    {
      behaviour: 'leaves a URL without secrets exactly as written',
      url: 'http://Host.Example:8080/a/../feed?x=1',
      expected: 'http://Host.Example:8080/a/../feed?x=1',
    },
    { behaviour: 'leaves a text that is no URL alone', url: 'not a url: user:pass', expected: 'not a url: user:pass' },
  ])('$behaviour', ({ url, expected }) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('redactSecrets', () => {
  it('redacts every URL inside an error message', () => {
    const message = 'feed http://a:one@x.example/f found on page https://b:two@y.example/p?auth=three failed: HTTP 500';
    expect(redactSecrets(message)).toBe('feed http://a:***@x.example/f found on page https://b:***@y.example/p?auth=*** failed: HTTP 500');
  });
});
