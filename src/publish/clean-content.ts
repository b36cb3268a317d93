/**
 * What the content-cleaning step removes from story HTML before any output shows it:
 * tracking pixels, feed-service share bars and flare, the WordPress "appeared first on"
 * footer and dead "Continue reading" tails. Pure predicates that sanitize-content.ts applies
 * in its one linear sanitize-html pass: `isClutterTag` at an opening tag, on the attributes
 * as the feed wrote them (sanitize-html deletes disallowed ones like class and style before
 * the closing tag), and `isClutterText` at the closing tag, on the element's own text. Each
 * looks at one element and at most MAX_BOILERPLATE_CHARS of text, never re-scanning the document.
 */

/** One element at its closing tag: name, attributes, and the text of what it kept inside. */
export interface ElementFrame {
  tag: string;
  attribs: Record<string, string>;
  text: string;
  mediaChildren: string[];
}

/** Hosts and paths of images that only count views (beacon, flare and ad images of feed services). */
const PIXEL_URLS = [
  /^https?:\/\/feeds\.feedburner\.com\/~[rfa]\//i,
  /^https?:\/\/feedproxy\.google\.com\/~[rfa]\//i,
  /^https?:\/\/([a-z0-9-]+\.)*feedsportal\.com\//i,
  /^https?:\/\/pixel\.wp\.com\//i,
  /^https?:\/\/stats\.wordpress\.com\/b\.gif/i,
  /^https?:\/\/feeds\.wordpress\.com\/1\.0\//i,
  /^https?:\/\/(www|ssl)\.google-analytics\.com\/(collect|__utm\.gif)/i,
  /^https?:\/\/pixel\.quantserve\.com\//i,
  /^https?:\/\/b\.scorecardresearch\.com\//i,
  /^https?:\/\/medium\.com\/_\/stat\b/i,
  /^https?:\/\/([a-z0-9-]+\.)?substack\.com\/o\/open\b/i,
];
/** Links that only exist to share, rate or advertise through a feed service. */
const SHARE_LINKS = [
  /^https?:\/\/feeds\.feedburner\.com\/~[fa]f?\//i,
  /^https?:\/\/feedproxy\.google\.com\/~[fa]f?\//i,
  /^https?:\/\/([a-z0-9-]+\.)*feedsportal\.com\//i,
  /^https?:\/\/feeds\.wordpress\.com\/1\.0\//i,
];
/** Class names of share bars: FeedBurner flare, Jetpack sharing and likes, AddToAny. */
const SHARE_CLASSES = new Set([
  'feedflare',
  'sharedaddy',
  'sd-sharing-enabled',
  'sd-like',
  'jp-relatedposts',
  'addtoany_share_save_container',
  'a2a_kit',
]);
const SHARE_IDS = new Set(['jp-post-flair', 'jp-relatedposts']);
/** Text past this is an article's own words, not a footer or a tail link (keeps each test bounded). */
const MAX_BOILERPLATE_CHARS = 300;
/** "Continue reading…", "Read more »", "Continue reading on Medium »", "Read the rest of this entry »". */
const READ_MORE =
  /^(?:continue reading|read more|keep reading|read the rest(?: of (?:this|the) (?:entry|article|post|story))?|read (?:the )?full (?:article|story|post))(?: (?:on|at) [^\n]{1,80})?[\s»→›>.…:]*$/i;

/** At an opening tag: a pixel, share bar, feed-service link or WordPress more-link, to drop with all inside it. */
export function isClutterTag(tag: string, attribs: Record<string, string>): boolean {
  if (tag === 'img') return isTrackingPixel(attribs);
  if (hasShareMarker(attribs)) return true;
  if (tag !== 'a') return false;
  return SHARE_LINKS.some((pattern) => pattern.test(attribs.href ?? '')) || hasClass(attribs, 'more-link');
}

/** At a closing tag: a read-more link, the "appeared first on" footer, or a paragraph left empty. */
export function isClutterText(frame: ElementFrame): boolean {
  if (frame.tag === 'a') return isReadMoreLink(frame);
  if (frame.tag === 'p' || frame.tag === 'div') return isBoilerplate(frame.text) || isEmpty(frame);
  return false;
}

/** A 1×1 image (attributes or inline style) or an image from a known counting host. */
export function isTrackingPixel(attribs: Record<string, string>): boolean {
  const src = (attribs.src ?? '').trim();
  if (PIXEL_URLS.some((pattern) => pattern.test(src))) return true;
  if (isTiny(attribs.width) && isTiny(attribs.height)) return true;
  const style = (attribs.style ?? '').toLowerCase();
  if (style.length > MAX_BOILERPLATE_CHARS) return false;
  return isTiny(/(?:^|;)\s*width\s*:\s*([^;]*)/.exec(style)?.[1]) && isTiny(/(?:^|;)\s*height\s*:\s*([^;]*)/.exec(style)?.[1]);
}

function isTiny(value: string | undefined): boolean {
  return value !== undefined && /^\s*[01](?:\.0+)?\s*(?:px)?\s*(?:!important)?\s*$/.test(value);
}

function hasShareMarker(attribs: Record<string, string>): boolean {
  return SHARE_IDS.has(attribs.id ?? '') || classesOf(attribs).some((name) => SHARE_CLASSES.has(name));
}

function hasClass(attribs: Record<string, string>, name: string): boolean {
  return classesOf(attribs).includes(name);
}

function classesOf(attribs: Record<string, string>): string[] {
  const classes = attribs.class;
  return classes === undefined || classes.length > MAX_BOILERPLATE_CHARS ? [] : classes.split(/\s+/);
}

/** A "Continue reading" link: its whole text is the phrase ("Read more »", "Continue reading on Medium »"). */
function isReadMoreLink(frame: ElementFrame): boolean {
  const text = frame.text.trim();
  return text.length <= MAX_BOILERPLATE_CHARS && READ_MORE.test(text);
}

/** WordPress's "The post X appeared first on Y." footer, or a paragraph that is only a read-more phrase. */
function isBoilerplate(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_BOILERPLATE_CHARS) return false;
  return (/^The post /.test(trimmed) && trimmed.includes(' appeared first on ')) || READ_MORE.test(trimmed);
}

/** A paragraph left with no text and no image (its only content was clutter, or it never had any). */
function isEmpty(frame: ElementFrame): boolean {
  return frame.tag === 'p' && frame.mediaChildren.length === 0 && frame.text.trim() === '';
}
