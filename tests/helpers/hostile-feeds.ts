/**
 * Hostile feed bodies of about 1 MB, one per text shape that once cost quadratic CPU in a
 * text pass (issue 9 §1). Shared by the parse tests, the worker-deadline test and the
 * fault-injection suite, so every layer is tried with the same inputs.
 */

/** One hostile document: `name` says the shape, `contentType` is what a server would send with it. */
export interface HostileFeedShape {
  name: string;
  body: string;
  contentType: string;
}

const RSS = 'application/rss+xml; charset=utf-8';
const ATOM = 'application/atom+xml; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
const JSON_FEED = 'application/feed+json';

/** The default size of each hostile body, in UTF-16 code units (ASCII, so bytes too). */
export const HOSTILE_BYTES = 1024 * 1024;

/** `unit` repeated until the result is about `bytes` long. */
export function repeatTo(unit: string, bytes: number = HOSTILE_BYTES): string {
  return unit.repeat(Math.max(1, Math.floor(bytes / unit.length)));
}

const rssHead =
  '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Hostile</title><link>https://hostile.example/</link>';
const rssItem = (title: string, extra = ''): string =>
  `<item><title>${title}</title><link>https://hostile.example/a</link><guid>https://hostile.example/a</guid>${extra}</item>`;
const rss = (inner: string): string => `${rssHead}${inner}</channel></rss>\n`;
const atomHead =
  '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>Hostile</title><id>urn:hostile</id><updated>2024-09-03T08:00:00Z</updated>';

/** Every hostile shape at about `bytes` (1 MB by default), named by shape. */
export function hostileFeedShapes(bytes: number = HOSTILE_BYTES): HostileFeedShape[] {
  const fill = (unit: string): string => repeatTo(unit, bytes);
  const nestDepth = Math.floor(bytes / '<x></x>'.length);
  return [
    // The reported case: a CDATA title of `<p` repeated (cleanText's tag regexes).
    { name: 'cdata-title-p-repeated', contentType: RSS, body: rss(rssItem(`<![CDATA[${fill('<p')}]]>`)) },
    // The same, with the CDATA section (and the document) never closed.
    { name: 'cdata-title-p-unclosed', contentType: RSS, body: `${rssHead}<item><title><![CDATA[${fill('<p')}` },
    // A plain-text title of `<p` repeated after entity decoding (`&lt;p`).
    { name: 'escaped-title-p-repeated', contentType: RSS, body: rss(rssItem(fill('&lt;p'))) },
    // Link discovery on an HTML page: `<link` repeated, never closed.
    { name: 'html-link-repeated', contentType: HTML, body: `<!doctype html><html><head>${fill('<link ')}` },
    // Link discovery with attribute-looking text: `<link rel=` repeated.
    { name: 'html-link-attr-repeated', contentType: HTML, body: `<!doctype html><html><head>${fill('<link rel="alternate" type=')}` },
    // htmlToText over a description of `<!--` repeated (escaped HTML, as feeds send it).
    {
      name: 'description-comment-repeated',
      contentType: RSS,
      body: rss(rssItem('Comments', `<description><![CDATA[${fill('<!--')}]]></description>`)),
    },
    // `<!--` repeated after the root element's start: the comment never ends.
    { name: 'comment-after-root', contentType: RSS, body: `${rssHead}${rssItem('First')}${fill('<!--')}` },
    // `<!--` repeated after the document's end.
    { name: 'comment-after-end', contentType: RSS, body: rss(rssItem('First')) + fill('<!--') },
    // Atom xhtml content that is never closed, repeated (each opening scans to the end).
    {
      name: 'xhtml-content-unclosed',
      contentType: ATOM,
      body: `${atomHead}<entry><title>x</title><id>urn:x</id>${fill('<content type="xhtml"><div>')}`,
    },
    // Bare `<` repeated inside the channel.
    { name: 'lt-repeated', contentType: RSS, body: `${rssHead}${rssItem('First')}${fill('<')}</channel></rss>` },
    // Bare `&` repeated inside a title.
    { name: 'amp-repeated', contentType: RSS, body: rss(rssItem(fill('&'))) },
    // `&` followed by name characters repeated (entity-shaped but never terminated).
    { name: 'amp-name-repeated', contentType: RSS, body: rss(rssItem(fill('&a'))) },
    // `<![CDATA[` repeated, never closed.
    { name: 'cdata-open-repeated', contentType: RSS, body: `${rssHead}${rssItem('First')}<item><title>${fill('<![CDATA[')}` },
    // `<a ` repeated with quoted attributes and no `>` (tag scanners that backtrack over quotes).
    { name: 'tag-quotes-repeated', contentType: RSS, body: `${rssHead}${rssItem('First')}${fill('<a "x" \'y\' ')}` },
    // The same inside a CDATA description (HTML passes over the content).
    {
      name: 'description-tag-quotes-repeated',
      contentType: RSS,
      body: rss(rssItem('Quotes', `<description><![CDATA[${fill('<a href="x" ')}]]></description>`)),
    },
    // `<!DOCTYPE` with an internal subset that never closes.
    { name: 'doctype-unclosed', contentType: RSS, body: `<?xml version="1.0"?>${fill('<!DOCTYPE rss [')}` },
    // `<?` processing instructions repeated, never closed, before the root.
    { name: 'pi-repeated', contentType: RSS, body: `<?xml version="1.0"?>${fill('<?x ')}<rss/>` },
    // `<!` repeated in element text: sax's SGML-declaration state upper-cases the growing
    // declaration at every character (64 s at 100 KB before `<!` was escaped).
    ...Object.entries({ bang: '<!', 'bang-d': '<!D', 'bang-bracket': '<![', 'bang-dash': '<!-', 'doctype-mid': '<!DOCTYPE ' }).map(
      ([name, unit]) => ({
        name: `description-${name}-repeated`,
        contentType: RSS,
        body: rss(rssItem('Declarations', `<description>${fill(unit)}</description>`)),
      }),
    ),
    // Other sax states a stray `<` opens inside element text: a processing instruction, an
    // end tag never closed, attribute-less start tags, `=` where attributes go.
    ...Object.entries({ pi: '<?', 'end-tag': '</', 'start-tag': '<a', 'start-tag-space': '<a ' }).map(([name, unit]) => ({
      name: `description-${name}-repeated`,
      contentType: RSS,
      body: rss(rssItem('Stray', `<description>${fill(unit)}</description>`)),
    })),
    { name: 'tag-equals-repeated', contentType: RSS, body: rss(rssItem('Equals', `<description><a ${fill('=')}></description>`)) },
    // Deeply nested elements inside an item description (serializing the tree back to markup).
    {
      name: 'nested-elements',
      contentType: RSS,
      body: rss(rssItem('Nested', `<description>${'<x>'.repeat(nestDepth)}${'</x>'.repeat(nestDepth)}</description>`)),
    },
    // Deeply nested elements, never closed (truncation repair must close them all).
    { name: 'nested-elements-unclosed', contentType: RSS, body: `${rssHead}<item><title>Nested</title><description>${fill('<x>')}` },
    // Deeply nested xhtml content in Atom.
    {
      name: 'atom-xhtml-nested',
      contentType: ATOM,
      body: `${atomHead}<entry><title>x</title><id>urn:x</id><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">${'<b>'.repeat(nestDepth)}${'</b>'.repeat(nestDepth)}</div></content></entry></feed>`,
    },
    // A JSON Feed whose title is `<p` repeated (cleanText without any XML pass).
    {
      name: 'json-title-p-repeated',
      contentType: JSON_FEED,
      body: JSON.stringify({
        version: 'https://jsonfeed.org/version/1.1',
        title: 'Hostile',
        items: [{ id: '1', url: 'https://hostile.example/a', title: repeatTo('<p', bytes / 2), content_html: repeatTo('<!--', bytes / 2) }],
      }),
    },
  ];
}
