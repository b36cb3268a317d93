/**
 * The site's dates: day, month, year and time in `site.timezone`, the `site.locale` way. Dates
 * are kept formatted by locale, zone and minute; each of those still gives its own text.
 */
import { describe, expect, it } from 'vitest';
import { formatDate } from '../../src/site/render-site-page.ts';

describe('formatDate', () => {
  it.each([
    ['en', 'UTC', '2026-03-29T00:59:30Z', '29 Mar 2026, 00:59 UTC'],
    ['en', 'Europe/London', '2026-03-29T00:59:59Z', '29 Mar 2026, 00:59 GMT'],
    // Past the change to summer time, the same zone's next minute is an hour on, in BST.
    ['en', 'Europe/London', '2026-03-29T01:00:00Z', '29 Mar 2026, 02:00 BST'],
    ['fr', 'Europe/Paris', '2026-03-29T00:59:00Z', '29 mars 2026, 01:59 UTC+1'],
    ['de', 'America/New_York', '2026-03-29T00:59:10Z', '28. März 2026, 20:59 GMT-4'],
  ] as const)('writes %s in %s: %s as %s, asked first or again', (locale, timezone, iso, expected) => {
    const ctx = { locale, timezone };
    expect(formatDate(ctx, new Date(iso))).toBe(expected);
    // Again, within the same minute: the same text.
    expect(formatDate(ctx, new Date(new Date(iso).getTime() - new Date(iso).getUTCSeconds() * 1000))).toBe(expected);
  });
});
