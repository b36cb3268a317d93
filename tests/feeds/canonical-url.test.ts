import { describe, expect, it } from 'vitest';
import { canonicalUrl } from '../../src/feeds/canonical-url.ts';
import { intBetween, mulberry32, pick } from '../helpers/prng.ts';

describe('canonicalUrl', () => {
  it.each([
    ['folds scheme, www and host case', 'http://WWW.Example.com/opinion/col', 'https://example.com/opinion/col'],
    ['drops the trailing slash', 'https://example.com/opinion/col/', 'https://example.com/opinion/col'],
    ['drops the fragment', 'https://example.com/a#comments', 'https://example.com/a'],
    ['drops utm_* parameters', 'https://example.com/a?utm_source=rss&utm_medium=feed', 'https://example.com/a'],
    [
      'drops fbclid, gclid and mc_* but keeps real parameters',
      'https://example.com/a?id=7&fbclid=x&gclid=y&mc_cid=1&mc_eid=2',
      'https://example.com/a?id=7',
    ],
    ['sorts the remaining parameters', 'https://example.com/a?b=2&a=1', 'https://example.com/a?a=1&b=2'],
    ['drops default ports', 'https://example.com:443/a', 'https://example.com/a'],
    ['keeps other ports', 'http://example.com:8080/a', 'https://example.com:8080/a'],
    ['folds an /amp/ path prefix', 'https://example.com/amp/opinion/col', 'https://example.com/opinion/col'],
    ['folds an /amp suffix', 'https://example.com/opinion/col/amp/', 'https://example.com/opinion/col'],
    ['folds .amp.html', 'https://example.com/opinion/col.amp.html', 'https://example.com/opinion/col.html'],
    ['folds ?amp=1 and ?outputType=amp', 'https://example.com/col?amp=1&outputType=amp', 'https://example.com/col'],
    ['folds an amp. subdomain', 'https://amp.example.com/col', 'https://example.com/col'],
    ['unwraps the Google AMP cache', 'https://www-example-com.cdn.ampproject.org/c/s/www.example.com/col', 'https://example.com/col'],
    ['keeps path case', 'https://example.com/Opinion/Col', 'https://example.com/Opinion/Col'],
    ['folds a mobile subdomain', 'https://m.example.com/col', 'https://example.com/col'],
    ['keeps a host that is only m. and a name', 'https://m.co/col', 'https://m.co/col'],
    ['folds mirror subdomains in a row', 'https://www.m.example.com/col', 'https://example.com/col'],
    ['decodes percent-encoded unreserved characters', 'https://example.com/%7Ejane/%63ol', 'https://example.com/~jane/col'],
    ['writes percent-encoding in upper case', 'https://example.com/caf%c3%a9', 'https://example.com/caf%C3%A9'],
    ['keeps reserved characters encoded', 'https://example.com/a%2fb', 'https://example.com/a%2Fb'],
    ['drops index.html', 'https://example.com/col/index.html', 'https://example.com/col'],
    ['drops index.php before the query', 'https://example.com/index.php?p=12', 'https://example.com/?p=12'],
    [
      'reads an over-escaped &amp; as a separator',
      'https://example.com/col?id=5&amp;utm_medium=feed&amp;amp;b=2',
      'https://example.com/col?b=2&id=5',
    ],
    [
      'unwraps a Google Alerts redirect',
      'https://www.google.com/url?rct=j&sa=t&url=https://www.example.com/col%3Futm_source%3Dx&ct=ga&usg=AOv',
      'https://example.com/col',
    ],
    ['unwraps a Google search redirect', 'https://www.google.co.uk/url?q=http://example.com/col/&sa=U', 'https://example.com/col'],
    ['keeps a Google redirect to no http(s) URL', 'https://www.google.com/url?q=javascript:1', 'https://google.com/url?q=javascript%3A1'],
    ['drops a run of trailing slashes', 'https://example.com/col///', 'https://example.com/col'],
    ['keeps ?p=, ?id= and ?article=', 'https://example.com/?p=1&id=2&article=3', 'https://example.com/?article=3&id=2&p=1'],
  ])('%s', (_name, input, expected) => {
    expect(canonicalUrl(input)).toBe(expected);
  });

  it.each([null, '', 'not a url', 'mailto:jane@example.com', 'ftp://example.com/x'])('gives null for %j', (input) => {
    expect(canonicalUrl(input)).toBeNull();
  });

  // Seeded, so a failure names its case: each variant of a column's link, as feeds spell it.
  const random = mulberry32(20261207);
  const bases = [
    'https://example.com/opinion/jane-doe/bridge',
    'https://news.example.org/2025/06/col?p=123',
    'https://blog.example.net/~jane/caf%C3%A9',
  ];
  const variants = Array.from({ length: 300 }, () => {
    const base = pick(random, bases);
    const url = new URL(base);
    const host = `${pick(random, ['', 'www.', 'm.', 'amp.', 'WWW.'])}${url.hostname}`;
    const hostCase = random() < 0.3 ? host.toUpperCase() : host;
    const port = pick(random, ['', url.protocol === 'https:' ? ':443' : ':80']);
    const path = [...url.pathname]
      .map((char) =>
        /[a-z~]/.test(char) && random() < 0.2
          ? `%${char.charCodeAt(0).toString(16)[random() < 0.5 ? 'toUpperCase' : 'toLowerCase']()}`
          : char,
      )
      .join('')
      .replace(/%c3%a9/i, () => pick(random, ['%c3%a9', '%C3%A9', 'é']));
    const tail = pick(random, ['', '/', '//', '/index.html', '/amp/', '.amp']);
    const params = [...url.searchParams].map(([key, value]) => `${key}=${value}`);
    const tracking = [
      'utm_source=rss',
      'utm_medium=feed',
      'fbclid=IwAR0',
      'gclid=x1',
      'mc_cid=1',
      'mc_eid=2',
      '_ga=2.1',
      'cmpid=rss',
      'outputType=amp',
    ];
    for (let count = intBetween(random, 0, 4); count > 0; count--)
      params.splice(intBetween(random, 0, params.length), 0, pick(random, tracking));
    const query = params.length > 0 ? `?${params.join('&')}` : '';
    const scheme = pick(random, ['http://', 'https://', 'HTTPS://']);
    return [base, `${scheme}${hostCase}${port}${path}${tail}${query}${pick(random, ['', '#comments', '#'])}`] as const;
  });

  it.each(variants)('gives %s and its variant %s one canonical form', (base, variant) => {
    expect(canonicalUrl(variant)).toBe(canonicalUrl(base));
  });

  it('is idempotent and never throws on generated hostile links', () => {
    const alphabet = ['?', '&', '=', '%', '/', '#', '.', 'a', '%7e', '%C3', ';', '+', ' ', 'amp', 'www.', 'utm_', '&amp;'];
    for (let n = 0; n < 2000; n++) {
      const junk = Array.from({ length: intBetween(random, 0, 40) }, () => pick(random, alphabet)).join('');
      const host = Array.from({ length: intBetween(random, 0, 3) }, () => pick(random, ['www.', 'm.', 'amp.', 'WWW2.', 'x.'])).join('');
      const link = `${pick(random, ['https://', 'http://'])}${host}${pick(random, ['example.com', 'co', 'example.com.'])}${pick(random, ['/', '/x?', ''])}${junk}`;
      const once = canonicalUrl(link);
      if (once !== null) expect(canonicalUrl(once), link).toBe(once);
    }
  });

  it.each([
    '/'.repeat(100_000),
    '?&=%'.repeat(25_000),
    'amp/'.repeat(25_000),
    '%7E'.repeat(33_000),
    '.amp'.repeat(25_000),
    '&amp;'.repeat(20_000),
  ])('reads 100 KB of repeated %s in linear time', (path) => {
    const started = performance.now();
    canonicalUrl(`https://example.com/${path}x`);
    canonicalUrl(`https://example.com/x?${path}`);
    // Quadratic backtracking over 100 KB takes several seconds; linear work takes milliseconds.
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
