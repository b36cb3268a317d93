/**
 * Story HTML made safe to republish (the only importer of sanitize-html): an allowlist of
 * text and media elements, no scripts, event handlers, iframes, forms or style attributes,
 * only http(s)/mailto links, and relative URLs made absolute against the story's link.
 * Markup nested deeper than a browser would build is flattened first (limit-nesting.ts).
 * The same pass cleans: tracking pixels, share bars, feed footers and "Continue reading"
 * tails are dropped (clean-content.ts), so every output (feeds, home page, digest) shows the same.
 */
import sanitizeHtml from 'sanitize-html';
import { isClutterTag, isClutterText } from './clean-content.ts';

/** A tag name no allowlist has: clutter is renamed to it at its opening tag and dropped with its content. */
const CLUTTER = 'columnwire-clutter';
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
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed', 'template', CLUTTER],
    transformTags: {
      a: (tagName, attribs) => absolute(tagName, attribs, baseUrl),
      img: (tagName, attribs) => absolute(tagName, attribs, baseUrl),
      // Runs after the tag's own transform, on the attributes as written: a disallowed non-text tag skips all inside it.
      '*': (tagName, attribs) => ({ tagName: isClutterTag(tagName, attribs) ? CLUTTER : tagName, attribs }),
    },
    // Called once per element at its closing tag with the element's own text: linear overall.
    exclusiveFilter: (frame) => isClutterText(frame),
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
