/**
 * Seeded generator of hostile stories and feed sources for the merged-feed property test:
 * every XML-special character, `]]>` runs, markup that tries to close an item, control
 * characters, lone surrogates, U+FFFE/FFFF, bidi overrides, astral characters, CR/LF/tab,
 * now and then a huge value, and links in every scheme a reader could be tricked with.
 */
import type { FeedSource, Story } from '../../src/model.ts';
import { storyPublicId } from '../../src/storage/story-public-id.ts';
import { intBetween } from './prng.ts';

type Random = () => number;

const PIECES = [
  '&',
  '<',
  '>',
  '"',
  "'",
  ']]>',
  ']]',
  ']',
  ']]]]>',
  '<![CDATA[',
  '&amp;',
  '&lt;',
  '&gt;',
  '&#x26;',
  '&#1;',
  '&#xFFFE;',
  '&nbsp;',
  '&unknown;',
  '</item>',
  '<item>',
  '</entry><entry>',
  ']]></title></item><item><title>Injected</title><description>&lt;script&gt;alert(1)&lt;/script&gt;</description></item><item><title>',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '&lt;img src=x onerror=alert(1)&gt;',
  '<!--',
  '-->',
  '<?xml version="1.0"?>',
  '<!DOCTYPE x [<!ENTITY e "x">]>',
  'xmlns:x="urn:x"',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '\n\r',
  ' ',
  '   ',
  '\u00A0',
  '\u2028',
  '\u2029',
  '\u0085',
  '\u007F',
  '\u0000',
  '\u0001',
  '\u0008',
  '\u000B',
  '\u000C',
  '\u001B',
  '\u001F',
  '\u202A',
  '\u202B',
  '\u202C',
  '\u202D',
  '\u202E',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200E',
  '\u200F',
  '\u061C',
  '\u200B',
  '\uFEFF',
  '\uFFFD',
  '\uFFFE',
  '\uFFFF',
  '\uD800',
  '\uDBFF',
  '\uDC00',
  '\uDFFF',
  '\uDFFF\uD800',
  '\uD83D\uDE00',
  '\u{10FFFF}',
  '\u{1F4A9}',
  'é',
  'e\u0301',
  '中文',
  'مرحبا',
  'שלום',
  'Ω',
  'Budget',
  'column',
  'The Times',
  "O'Brien",
  'Smith & Jones',
  '42',
  '',
  'javascript:alert(1)',
];

const HOSTILE_LINKS = [
  'javascript:alert(1)',
  'JaVaScRiPt:alert(document.cookie)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  '\u0001javascript:alert(1)',
  'javascript&colon;alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'DATA:text/html;base64,PHNjcmlwdD4=',
  'vbscript:msgbox(1)',
  'VBScript:x',
  'file:///etc/passwd',
  'ftp://ftp.example.org/x',
  'mailto:a@example.org',
  'about:blank',
  'blob:https://x.example/1',
  '//evil.example/x',
  '/relative/path',
  '?a=1',
  '#top',
  'not a url',
  '',
  'http://',
  'https://[::1',
  'http:/\\evil.example',
  'https://h.example/\u0000x',
  ' https://h.example/trimmed ',
];

/** Hostile text: a few pieces and random UTF-16 code units, rarely tens of kilobytes. */
export function hostileText(random: Random): string {
  if (random() < 0.0003) {
    const unit = `${PIECES[intBetween(random, 0, PIECES.length - 1)] || ']]>'}${randomUnit(random)}`;
    return unit.repeat(Math.ceil(intBetween(random, 10_000, 70_000) / unit.length));
  }
  let text = '';
  for (let n = intBetween(random, 0, 10); n > 0; n--)
    text += random() < 0.8 ? PIECES[intBetween(random, 0, PIECES.length - 1)] : randomUnit(random);
  return text;
}

/** Any UTF-16 code unit, surrogates and noncharacters included. */
function randomUnit(random: Random): string {
  return String.fromCharCode(random() < 0.5 ? intBetween(random, 0, 0x7f) : intBetween(random, 0, 0xffff));
}

/** A link: null, one of the hostile schemes and shapes, or an http(s) URL with hostile parts. */
export function hostileLink(random: Random): string | null {
  const roll = random();
  if (roll < 0.15) return null;
  if (roll < 0.45) return HOSTILE_LINKS[intBetween(random, 0, HOSTILE_LINKS.length - 1)]!;
  if (roll < 0.6) return `https://news.example.com/opinion/${intBetween(random, 1, 999)}?id=42&ref=rss&utm_source=columnwire`;
  const scheme = random() < 0.5 ? 'https' : random() < 0.5 ? 'http' : 'HTTPS';
  return `${scheme}://h${intBetween(random, 1, 9)}.example/${hostileText(random)}?a=${hostileText(random)}&b=2#${hostileText(random)}`;
}

function maybe<T>(random: Random, probability: number, make: () => T): T | null {
  return random() < probability ? make() : null;
}

/**
 * A configured feed URL: plain, private (user, password and secret parameters, which no
 * public document may show), with markup characters in the path, or not http(s) at all.
 */
export function hostileFeedUrl(random: Random, index: number): string {
  const roll = random();
  if (roll < 0.4) return `https://feeds.example.org/${index}`;
  if (roll < 0.6) return `https://alice:PASS${index}@feeds.example.org/${index}?token=TOKEN${index}&page=2`;
  if (roll < 0.75) return `HTTP://Feeds.Example.org:80/${index}/a&b<c>"d'?api_key=KEY${index}&feed_token=T${index}&sig=S&q=%3C`;
  if (roll < 0.9) return `https://feeds.example.org/${index}?${['token', 'feed_token', 'sig'][intBetween(random, 0, 2)]}=SECRET${index}`;
  return ['file:///etc/feed.xml', 'ftp://feeds.example.org/x', 'not a url'][intBetween(random, 0, 2)]!;
}

/** 1–4 configured feeds with hostile titles, outlets and tags (ids unique). */
export function hostileSources(random: Random): FeedSource[] {
  return Array.from({ length: intBetween(random, 1, 4) }, (_, index) => ({
    id: `${hostileText(random)}#${index}`,
    url: hostileFeedUrl(random, index),
    title: maybe(random, 0.7, () => hostileText(random)),
    outlet: maybe(random, 0.7, () => hostileText(random)),
    tags: Array.from({ length: intBetween(random, 0, 3) }, () => hostileText(random)),
  }));
}

/** A story from one of `sources` (sometimes from a feed no longer configured), every field hostile. */
export function hostileStory(random: Random, id: number, sources: readonly FeedSource[]): Story {
  const feedId = (): string => (random() < 0.9 ? sources[intBetween(random, 0, sources.length - 1)]!.id : `gone-${hostileText(random)}`);
  const date = (): Date => new Date(Date.UTC(2026, 0, 1) + intBetween(random, 0, 365 * 24 * 3600) * 1000 + intBetween(random, 0, 999));
  const firstSeenAt = date();
  return {
    id,
    // Both published forms (issue 10 §1), without drawing from `random`, so every stream stays as it was.
    publicId: id % 2 === 0 ? `urn:columnwire:story:${id}` : storyPublicId(`i:fuzz\n${id}`),
    title: maybe(random, 0.9, () => hostileText(random)),
    link: hostileLink(random),
    canonicalUrl: null,
    author: maybe(random, 0.7, () => hostileText(random)),
    published: date(),
    claimedPublished: null,
    updated: date(),
    summary: maybe(random, 0.7, () => hostileText(random)),
    content: maybe(random, 0.5, () => hostileText(random)),
    categories: Array.from({ length: intBetween(random, 0, 4) }, () => hostileText(random)),
    firstSeenAt,
    feedId: feedId(),
    sources: Array.from({ length: intBetween(random, 0, 3) }, () => ({ feedId: feedId(), link: hostileLink(random), firstSeenAt: date() })),
  };
}
