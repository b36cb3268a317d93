import { describe, expect, it } from 'vitest';
import { canonicalUrl } from '../../src/feeds/canonical-url.ts';

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
  ])('%s', (_name, input, expected) => {
    expect(canonicalUrl(input)).toBe(expected);
  });

  it.each([null, '', 'not a url', 'mailto:jane@example.com', 'ftp://example.com/x'])('gives null for %j', (input) => {
    expect(canonicalUrl(input)).toBeNull();
  });
});
