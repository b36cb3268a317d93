/**
 * The descriptions video and podcast feeds give where RSS and Atom have none: Media RSS's
 * `<media:description>` (YouTube's Atom entries carry theirs inside `<media:group>`, others
 * inside `<media:content>`), and iTunes' `<itunes:summary>`. Python feedparser reads both as
 * the entry's summary; an entry with only these had no excerpt here.
 */
import { cleanBody, plainTextToHtml } from './clean-text.ts';
import { attrOf, childrenOf, textOf } from './xml-node.ts';

/**
 * The first non-empty `<media:description>` of `item`: its own, then one in a `<media:group>`,
 * then one in a `<media:content>` (on its own or in a group). Plain text (Media RSS 1.5.1's
 * default type) unless it says `type="html"` or, as feedparser judges it, holds an end tag or a
 * character reference, as publishers who send markup without saying so do. Returned as HTML.
 */
export function mediaDescription(item: unknown): string | null {
  const groups = childrenOf(item, 'media:group');
  const holders = [item, ...groups, ...childrenOf(item, 'media:content'), ...groups.flatMap((group) => childrenOf(group, 'media:content'))];
  for (const holder of holders) {
    for (const node of childrenOf(holder, 'media:description')) {
      const text = textOf(node);
      const html = attrOf(node, 'type')?.trim().toLowerCase() === 'html' || (text !== null && MARKUP_SIGN.test(text));
      const body = html ? cleanBody(text) : plainTextToHtml(text);
      if (body !== null) return body;
    }
  }
  return null;
}

/** An end tag or a character reference: what makes feedparser read declared plain text as HTML. */
const MARKUP_SIGN = /<\/[a-z][a-z0-9]*\s*>|&(?:#\d+|#x[\da-f]+|[a-z][a-z\d]*);/i;

/** The first non-empty `<media:title>` of `item`, its own or in a `<media:group>`, as written. */
export function mediaTitle(item: unknown): string | null {
  for (const holder of [item, ...childrenOf(item, 'media:group')]) {
    for (const node of childrenOf(holder, 'media:title')) {
      const text = textOf(node)?.trim();
      if (text) return text;
    }
  }
  return null;
}

/**
 * An item's `<itunes:summary>`. Apple's spec allows plain text or HTML in CDATA, and
 * podcasts send both; it is read as HTML, which the excerpt cleans as every body.
 */
export function itunesSummary(item: unknown): string | null {
  for (const node of childrenOf(item, 'itunes:summary')) {
    const body = cleanBody(textOf(node));
    if (body !== null) return body;
  }
  return null;
}
