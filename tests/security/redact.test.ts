import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeTarget } from '../../src/app.ts';
import { migrateCommand } from '../../src/commands/migrate.ts';
import { isPostgresUrl } from '../../src/config/schema.ts';
import { parseConfig } from '../../src/config/load.ts';
import { hasSecrets, publicUrl, redactSecretParts, redactSecrets, redactUrl, secretsOf } from '../../src/redact.ts';
import { openPostgres } from '../../src/storage/postgres/database.ts';
import { generatedPasswords, shownPart } from '../helpers/generated-passwords.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

describe('redactUrl', () => {
  it.each([
    {
      behaviour: 'hides a password that holds a raw space (a valid URL to WHATWG)',
      url: 'http://alice:pa ss@host.example/feed',
      expected: 'http://alice:***@host.example/feed',
    },
    {
      behaviour: 'hides parameters whose name ends like a credential',
      url: 'https://h.example/f?feed_token=a1&X-Amz-Signature=b2&rss-secret=c3&page=2',
      expected: 'https://h.example/f?feed_token=***&X-Amz-Signature=***&rss-secret=***&page=2',
    },
    {
      behaviour: 'reads "-" and "_" and case alike',
      url: 'https://h.example/f?Api-Key=a1&ACCESS_TOKEN=b2',
      expected: 'https://h.example/f?Api-Key=***&ACCESS_TOKEN=***',
    },
    { behaviour: 'decodes a percent-encoded name', url: 'https://h.example/f?api%5Fkey=a1', expected: 'https://h.example/f?api%5Fkey=***' },
    {
      behaviour: 'hides OAuth parameters in the fragment',
      url: 'https://h.example/f#access_token=a1&state=2',
      expected: 'https://h.example/f#access_token=***&state=2',
    },
    { behaviour: 'leaves a plain fragment alone', url: 'https://h.example/f?token=a1#top', expected: 'https://h.example/f?token=***#top' },
    {
      behaviour: 'leaves names that only contain "key" alone',
      url: 'https://h.example/f?monkey=1&sortkey=2&keys=3',
      expected: 'https://h.example/f?monkey=1&sortkey=2&keys=3',
    },
    { behaviour: 'is idempotent', url: 'http://alice:***@h.example/f?token=***', expected: 'http://alice:***@h.example/f?token=***' },
  ])('$behaviour', ({ url, expected }) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('redactSecrets', () => {
  it.each([
    {
      behaviour: 'keeps the full stop after a URL',
      text: 'see http://h.example/f?token=abcd.',
      expected: 'see http://h.example/f?token=***.',
    },
    {
      behaviour: 'keeps the bracket around a URL',
      text: 'page (https://a:b@h.example/p?sig=xyz) failed',
      expected: 'page (https://a:***@h.example/p?sig=***) failed',
    },
    {
      behaviour: 'reads URLs in quotes',
      text: 'Location "http://a:b@h.example/x" refused',
      expected: 'Location "http://a:***@h.example/x" refused',
    },
    {
      behaviour: 'leaves a scheme-less host alone',
      text: 'connection refused (h.example:443)',
      expected: 'connection refused (h.example:443)',
    },
  ])('$behaviour', ({ text, expected }) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it("masks the known secrets of the feed's own URLs wherever they appear, as written or decoded", () => {
    const known = ['http://alice:p%40ss%20w0rd@h.example/f', 'https://h.example/f?token=t0kenValue42', null];
    const text = 'login alice / p@ss w0rd refused; token t0kenValue42 expired; raw p%40ss%20w0rd';
    expect(redactSecrets(text, known)).toBe('login alice / *** refused; token *** expired; raw ***');
  });

  it('does not mask a known secret too short to tell from a word', () => {
    expect(redactSecrets('the cat sat', ['http://u:cat@h.example/'])).toBe('the cat sat');
  });

  it.each([
    { shape: 'scheme characters', text: 'a.'.repeat(500_000) },
    { shape: '"://" repeated', text: '://'.repeat(350_000) },
    { shape: 'URLs back to back', text: 'http://a:b@'.repeat(100_000) },
    { shape: 'one 1 MB query', text: `http://h/?${'token=x&'.repeat(130_000)}` },
    { shape: 'dots after a URL', text: `http://h/${'.'.repeat(1_000_000)}x` },
    { shape: '"http:" repeated', text: 'http:'.repeat(200_000) },
    { shape: '"http: " repeated', text: 'http: '.repeat(170_000) },
    { shape: 'slashes after a scheme', text: `http:${'/\\'.repeat(500_000)}a:b@h` },
    { shape: 'spaces inside a URL-shaped string', text: `http:${' '.repeat(1_000_000)}x` },
  ])('takes linear time on 1 MB of $shape', ({ text }) => {
    const started = performance.now();
    redactSecrets(text, ['http://u:secretword@h/?token=abcdef']);
    // Measured 5-250 ms each on an idle 2-core machine (the 130,000-parameter query is the slowest,
    // up to 1.1 s at load 10); a quadratic scan takes minutes (100 KB of dots took 22 s before).
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('publicUrl', () => {
  it.each([
    { behaviour: 'drops the user and password', url: 'https://alice:pw@h.example/feed', expected: 'https://h.example/feed' },
    { behaviour: 'drops a bare user name', url: 'https://alice@h.example/feed', expected: 'https://h.example/feed' },
    {
      behaviour: 'drops secret parameters and keeps the others in order',
      url: 'https://h.example/f?a=1&token=x&b=2#top',
      expected: 'https://h.example/f?a=1&b=2#top',
    },
    { behaviour: 'drops the "?" when no parameter is left', url: 'https://h.example/f?token=x&key=y', expected: 'https://h.example/f' },
    { behaviour: 'drops secrets from the fragment too', url: 'https://h.example/f#access_token=x', expected: 'https://h.example/f' },
    {
      behaviour: 'leaves a URL without secrets exactly as written',
      url: 'http://Host.Example:8080/a/../feed?x=1&x=2',
      expected: 'http://Host.Example:8080/a/../feed?x=1&x=2',
    },
  ])('$behaviour', ({ url, expected }) => {
    expect(publicUrl(url)).toBe(expected);
    expect(hasSecrets(url)).toBe(url !== expected);
  });
});

/**
 * Forms that WHATWG URL (and so fetch, which sends their credentials) accepts though they are not
 * `scheme://`: no or odd slashes, surrounding blanks, tabs and newlines inside, any case. Each row's
 * secret is SECRETPW8 unless named; the host must stay readable.
 */
const WHATWG_FORMS = [
  { form: 'no "//"', url: 'http:alice:SECRETPW8@127.0.0.1:18777/f1', operator: 'http://alice:***@127.0.0.1:18777/f1' },
  { form: '"/\\"', url: 'https:/\\bob:SECRETPW8@host.example/f', operator: 'https://bob:***@host.example/f' },
  { form: '"\\\\"', url: 'https:\\\\bob:SECRETPW8@host.example/f', operator: 'https://bob:***@host.example/f' },
  { form: 'three slashes', url: 'https:///bob:SECRETPW8@host.example/f', operator: 'https://bob:***@host.example/f' },
  { form: 'a leading space', url: ' https://alice:SECRETPW8@host.example/f', operator: 'https://alice:***@host.example/f' },
  {
    form: 'a tab before, a newline after',
    url: '\thttps://alice:SECRETPW8@host.example/f\n',
    operator: 'https://alice:***@host.example/f',
  },
  { form: 'a newline in the password', url: 'https://alice:SECRET\nPW8@host.example/f', operator: 'https://alice:***@host.example/f' },
  { form: 'a tab in the scheme', url: 'ht\ttps://alice:SECRETPW8@host.example/f', operator: 'https://alice:***@host.example/f' },
  { form: 'an upper-case scheme', url: 'HTTPS://alice:SECRETPW8@host.example/f', operator: 'HTTPS://alice:***@host.example/f' },
  { form: 'a mixed-case scheme without "//"', url: 'HtTp:alice:SECRETPW8@host.example/f', operator: 'HtTp://alice:***@host.example/f' },
  { form: 'an encoded ":" in the user', url: 'https://alice%3ASECRETPW8@host.example/f', operator: 'https://***@host.example/f' },
  { form: 'a token as the user name', url: 'https://ghp_SECRETPW8@host.example/feed', operator: 'https://***@host.example/feed' },
  { form: 'a user with an empty password', url: 'https://SECRETPW8:@host.example/', operator: 'https://***@host.example/' },
  {
    form: 'a "token[]" parameter',
    url: 'https://host.example/f?token[]=SECRETPW8&a=1',
    operator: 'https://host.example/f?token[]=***&a=1',
  },
  {
    form: 'an encoded "token[]" parameter',
    url: 'https://host.example/f?token%5B%5D=SECRETPW8',
    operator: 'https://host.example/f?token%5B%5D=***',
  },
  {
    form: 'a nested "auth[token]"',
    url: 'https://host.example/f?auth[token]=SECRETPW8',
    operator: 'https://host.example/f?auth[token]=***',
  },
];

describe('URLs as WHATWG URL reads them', () => {
  it.each(WHATWG_FORMS)('masks $form in operator output', ({ url, operator }) => {
    expect(redactUrl(url)).toBe(operator);
    expect(redactSecrets(`fetching ${url.trim()} failed`)).not.toContain('SECRETPW8');
    expect(hasSecrets(url)).toBe(true);
  });

  it.each(WHATWG_FORMS)('drops $form from the public URL, which still reaches the host', ({ url }) => {
    const shown = publicUrl(url);
    expect(shown).not.toMatch(/SECRET|alice|bob|ghp_/);
    const parsed = new URL(shown);
    expect({ username: parsed.username, password: parsed.password, host: parsed.hostname }).toEqual({
      username: '',
      password: '',
      host: new URL(url).hostname,
    });
  });

  it.each(WHATWG_FORMS)('masks the known secret of $form in free text, as fetch would send it', ({ url }) => {
    const parsed = new URL(url);
    // What fetch sends: the password, or the user name when there is none, or the parameter.
    const sent = decodeURIComponent(parsed.password || parsed.username) || [...parsed.searchParams.values()][0]!;
    const secret = sent.includes('SECRETPW8') && sent.startsWith('ghp_') ? sent : 'SECRETPW8';
    expect(secretsOf(url)).toContain(secret);
    expect(redactSecrets(`401 for ${sent}; then ${secret} again`, [url])).toMatch(/^401 for (alice:)?\*\*\*; then \*\*\* again$/);
  });

  it('leaves a URL without secrets as written, in any of these forms', () => {
    for (const url of [' https://host.example/f', 'http:host.example/f', 'HTTPS://Host.Example/f?x=1', 'mailto:a@host.example']) {
      expect(publicUrl(url)).toBe(url);
      expect(redactUrl(url)).toBe(url);
      expect(hasSecrets(url)).toBe(false);
    }
    expect(redactSecrets('feeds.yaml:12: http: 500 from https:host.example/f')).toBe('feeds.yaml:12: http: 500 from https:host.example/f');
  });
});

describe('passwords of any printable characters, written into a URL unencoded', () => {
  const passwords = generatedPasswords(20261207, 400);
  const shapes = [
    (password: string) => `postgres://cw:${password}@127.0.0.1:5432/columnwire`,
    (password: string) => `postgresql://cw:${password}@db.example.com/columnwire?sslmode=require`,
    (password: string) => `smtp://mailer:${password}@smtp.example.com:587`,
  ];

  it.each([
    ['a raw "#"', 'postgres://postgres:Sup3r#S3cret@127.0.0.1:5432/x', 'postgres://postgres:***@127.0.0.1:5432/x'],
    ['a raw "/"', 'postgres://postgres:Sup/3rS3cret@127.0.0.1:5432/x', 'postgres://postgres:***@127.0.0.1:5432/x'],
    ['a raw "?" and "@"', 'postgres://postgres:Su?p3r@S3cret@127.0.0.1:5432/x', 'postgres://postgres:***@127.0.0.1:5432/x'],
    ['a raw "#", where WHATWG URL refuses the URL', 'https://u:pa#ss@h.example/f', 'https://u:***@h.example/f'],
  ])('masks a password holding %s: everything between "://" and the last "@"', (_, url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('keeps an "@" in the path of a URL WHATWG reads without credentials (a Mastodon feed)', () => {
    expect(redactUrl('https://mastodon.social/@Gargron.rss')).toBe('https://mastodon.social/@Gargron.rss');
  });

  it.each([
    // Not URLs WHATWG URL reads, with an "@" in their path: the host stays, to be fixed.
    ['a feed: URL', 'feed://mastodon.example/@jane.rss'],
    ['a port out of range', 'https://mastodon.example:99999/@jane.rss'],
    // A role without a password (the password comes from .pgpass or PGPASSWORD).
    ['a database role alone', 'postgres://columnwire@127.0.0.1:5432/columnwire'],
    ['an SMTP user alone', 'smtp://mailer@smtp.example.com:587'],
  ])('masks nothing in %s', (_, url) => {
    expect(redactUrl(url)).toBe(url);
    expect(redactSecrets(`role "columnwire" does not exist (${url})`, [url])).toBe(`role "columnwire" does not exist (${url})`);
  });

  it("still masks a token written as a web URL's user name, and a password hidden in an encoded user name", () => {
    expect(redactUrl('https://ghp_abcdef123456@example.com/feed')).toBe('https://***@example.com/feed');
    expect(redactUrl('postgres://cw%3As3cretpw@db.example.com/x')).not.toContain('s3cretpw');
  });

  // Database and SMTP URLs. An http(s) URL WHATWG URL reads is shown as fetch reads it: there a
  // raw "#" ends the host, and "https://u:p#w@h/" is a request to host "u" with no password.
  it('never shows a password, or 6 characters of one in a row, in a redacted URL or a message that quotes it', () => {
    for (const password of passwords) {
      for (const shape of shapes) {
        const url = shape(password);
        for (const shown of [redactUrl(url), redactSecrets(`cannot use "${url}": refused`, [url])]) {
          expect(shownPart(shown, password), `${JSON.stringify(url)} → ${shown}`).toBeNull();
        }
      }
    }
  });

  it('masks the parts of a password a driver read as the host', () => {
    const url = 'postgres://cw:@db4prod/x#y@127.0.0.1:5432/columnwire';
    expect(redactSecretParts('getaddrinfo ENOTFOUND db4prod', url)).toBe('getaddrinfo ENOTFOUND ***');
    expect(redactSecretParts('connect ECONNREFUSED 127.0.0.1:5432', url)).toBe('connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('never shows one in the errors of COLUMNWIRE_DATABASE_URL, database: in feeds.yaml, migrate --to, or the connection', async () => {
    const dataDir = join(makeTempDir(), 'data'); // no database: migrate stops before copying
    const seen = { refused: 0, connected: 0 };
    for (const password of passwords.slice(0, 120)) {
      const url = `postgres://cw:${password}@127.0.0.1:1/columnwire`; // port 1: nothing listens
      const messages: string[] = [];
      const caught = async (attempt: () => unknown) => {
        try {
          await attempt();
        } catch (error) {
          messages.push((error as Error).message);
        }
      };
      await caught(() => storeTarget({ database: null }, dataDir, { COLUMNWIRE_DATABASE_URL: url }));
      await caught(() => parseConfig(`feeds:\n  - url: https://h.example/feed\ndatabase: ${JSON.stringify(url)}\n`, 'feeds.yaml'));
      await caught(() =>
        migrateCommand.run({
          argv: ['--to', url],
          globals: { configPath: 'feeds.yaml', dataDir },
          stdout: process.stdout,
          stderr: process.stderr,
          stopSignal: new Promise(() => {}),
        }),
      );
      const valid = isPostgresUrl(url);
      if (valid) await caught(async () => (await openPostgres(url)).close());
      seen[valid ? 'connected' : 'refused']++;
      // A valid URL: migrate's "no SQLite database" and the connection's error; else the three refusals.
      expect(messages).toHaveLength(valid ? 2 : 3);
      for (const message of messages) expect(shownPart(message, password), `${JSON.stringify(url)} → ${message}`).toBeNull();
    }
    // Both paths were taken: URLs refused as not PostgreSQL URLs, and URLs tried on the server.
    expect(seen.refused).toBeGreaterThan(10);
    expect(seen.connected).toBeGreaterThan(10);
  });
});
