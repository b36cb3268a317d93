/**
 * Story HTML made safe to republish (the only importer of sanitize-html): an allowlist of
 * text and media elements, no scripts, event handlers, iframes, forms or style attributes,
 * only http(s)/mailto links, and relative URLs made absolute against the story's link.
 * Markup nested deeper than a browser would build is flattened first (limit-nesting.ts).
 */
import sanitizeHtml from 'sanitize-html';
import { limitNesting } from './limit-nesting.ts';

const URL_ATTRIBUTES: Record<string, string> = { a: 'href', img: 'src' };

/** Sanitized HTML of a story's summary or content; `baseUrl` resolves relative links. */
export function sanitizeContent(html: string, baseUrl: string | null): string {
  // Depth first: sanitize-html's parser is quadratic in how deep the markup nests.
  return sanitizeHtml(limitNesting(html), {
    allowedTags: [
      'p',
      'br',
      'hr',
      'a',
      'b',
      'strong',
      'i',
      'em',
      'u',
      's',
      'sub',
      'sup',
      'small',
      'mark',
      'q',
      'cite',
      'abbr',
      'blockquote',
      'pre',
      'code',
      'ul',
      'ol',
      'li',
      'dl',
      'dt',
      'dd',
      'h2',
      'h3',
      'h4',
      'h5',
      'h6',
      'figure',
      'figcaption',
      'img',
      'table',
      'thead',
      'tbody',
      'tr',
      'th',
      'td',
      'caption',
      'span',
      'div',
      'time',
    ],
    allowedAttributes: {
      a: ['href', 'title'],
      img: ['src', 'alt', 'title', 'width', 'height'],
      abbr: ['title'],
      time: ['datetime'],
      th: ['colspan', 'rowspan'],
      td: ['colspan', 'rowspan'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed', 'template'],
    transformTags: {
      a: (tagName, attribs) => absolute(tagName, attribs, baseUrl),
      img: (tagName, attribs) => absolute(tagName, attribs, baseUrl),
    },
  }).trim();
}

function absolute(tagName: string, attribs: sanitizeHtml.Attributes, baseUrl: string | null): sanitizeHtml.Tag {
  const name = URL_ATTRIBUTES[tagName]!;
  const value = attribs[name];
  if (value === undefined) return { tagName, attribs };
  try {
    return { tagName, attribs: { ...attribs, [name]: new URL(value.trim(), baseUrl ?? undefined).href } };
  } catch {
    const { [name]: _dropped, ...rest } = attribs;
    return { tagName, attribs: rest };
  }
}
