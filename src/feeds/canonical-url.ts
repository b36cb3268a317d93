/**
 * One spelling per article link, so the same column syndicated by several feeds meets itself:
 * scheme, `www.`/`m.`/`amp.`, host case, default port, percent-encoding, trailing slash,
 * `index.html`, fragment, tracking parameters, AMP variants and Google redirects folded away.
 */

const TRACKING_PARAMS = new Set([
  'fbclid',
  'gclid',
  'gclsrc',
  'dclid',
  'msclkid',
  'yclid',
  'igshid',
  'twclid',
  'li_fat_id',
  'mkt_tok',
  '_ga',
  '_gl',
  '_hsenc',
  '_hsmi',
  'hsctatracking',
  'cmpid',
  'cmp',
  'smid',
  'smtyp',
  'ncid',
  'sr_share',
  'wt.mc_id',
  'oly_anon_id',
  'oly_enc_id',
  'ref_src',
  'ito',
  'guccounter',
  'spm',
  'amp',
  'outputtype',
]);
const TRACKING_PREFIXES = ['utm_', 'mc_', 'pk_', 'mtm_', 'at_', 'ns_', 'vero_', 'hsa_', 'oly_'];
const AMP_CACHE_HOST = /\.cdn\.ampproject\.org$/;
const GOOGLE_HOST = /^(?:www\.)?google\.(?:com|[a-z]{2}|com?\.[a-z]{2})$/;
/**
 * Subdomains that serve the same articles as the bare domain: `www.`, `www2.`, AMP and mobile
 * editions, as long as a domain remains (`m.co` is kept); `www.` also before a single label
 * (`www.localhost`), as it always was.
 */
const MIRROR_SUBDOMAIN = /^(?:(?:www\d?|amp|m|mobile)\.)+(?=[^.]+\.)/;
const WWW_BEFORE_ONE_LABEL = /^www\d?\.(?=[^.]+$)/;
/** A directory's default page, the same document as the directory. */
const INDEX_PAGES = ['/index.html', '/index.htm', '/index.php'];
/** `&amp;`, `&amp;amp;`…: an ampersand escaped once more than XML needed. */
const OVER_ESCAPED_AMPERSAND = /&(?:amp;)+/g;
/** RFC 3986 §2.3: unreserved characters, the same percent-encoded or not. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** The canonical form of an article URL, or null when it is not an http(s) URL. */
export function canonicalUrl(link: string | null): string | null {
  if (!link) return null;
  let url: URL;
  try {
    url = unwrapAmpCache(unwrapGoogleRedirect(new URL(link.trim())));
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const host = foldHost(url.hostname);
  const port = url.port && url.port !== '80' && url.port !== '443' ? `:${url.port}` : '';
  const path = foldPath(normalizeEscapes(url.pathname)) || '/';
  const query = [...new URLSearchParams(repairAmpersands(url.search))]
    // A bare `=` names nothing (and would print as an empty pair).
    .filter(([key, value]) => !isTrackingParam(key) && (key !== '' || value !== ''))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => (value === '' ? encodeURIComponent(key) : `${encodeURIComponent(key)}=${encodeURIComponent(value)}`))
    .join('&');
  return `https://${host}${port}${path}${query ? `?${query}` : ''}`;
}

/** The host without its trailing dots and mirror subdomains (`www.`, `amp.`, `m.`), as long as a domain remains. */
function foldHost(hostname: string): string {
  let end = hostname.length;
  while (end > 0 && hostname.charCodeAt(end - 1) === 0x2e) end--;
  return hostname.slice(0, end).replace(MIRROR_SUBDOMAIN, '').replace(WWW_BEFORE_ONE_LABEL, '');
}

/**
 * One spelling per percent-encoded octet (RFC 3986 §6.2.2.1–2): `%7E` is `~`, `%c3%a9` is `%C3%A9`.
 * Reserved characters stay encoded: `%2F` is no `/`.
 */
function normalizeEscapes(path: string): string {
  if (!path.includes('%')) return path;
  return path.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const char = String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return UNRESERVED.test(char) ? char : escape.toUpperCase();
  });
}

/** True for a query parameter that only tracks the click (`utm_*`, `fbclid`, `gclid`, `mc_*`, …): the one list. */
export function isTrackingParam(key: string): boolean {
  const lower = key.toLowerCase();
  return TRACKING_PARAMS.has(lower) || TRACKING_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * The link with its tracking parameters removed and nothing else changed: the other
 * parameters keep their order and spelling, the fragment stays. Unparseable text is returned as given.
 */
export function stripTrackingParams(link: string): string {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return link;
  }
  if (!url.search) return link;
  const search = repairAmpersands(url.search);
  const pairs = search.slice(1).split('&');
  // Decide on the decoded name, but keep each kept pair exactly as the feed wrote it.
  const kept = pairs.filter((pair) => !isTrackingParam(decodeName(pair.split('=', 1)[0] ?? '')));
  if (kept.length === pairs.length && search === url.search) return link;
  url.search = kept.filter((pair) => pair !== '').join('&');
  return url.href;
}

/**
 * The query with over-escaped separators undone: a feed that escaped its links twice gives
 * `?id=7&amp;utm_source=rss` once XML is decoded, a parameter `amp;utm_source` no page reads.
 */
function repairAmpersands(search: string): string {
  return search.includes('&amp;') ? search.replace(OVER_ESCAPED_AMPERSAND, '&') : search;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * `https://www.google.com/url?rct=j&url=https://example.com/x&usg=…` (Google Alerts feeds, search
 * results) → `https://example.com/x`: the redirect names the article in its `url` or `q` parameter.
 */
function unwrapGoogleRedirect(url: URL): URL {
  if (url.pathname !== '/url' || !GOOGLE_HOST.test(url.hostname)) return url;
  const target = url.searchParams.get('url') ?? url.searchParams.get('q');
  return target && /^https?:\/\//i.test(target) && URL.canParse(target) ? new URL(target) : url;
}

/** `https://www-example-com.cdn.ampproject.org/c/s/example.com/x` → `https://example.com/x`. */
function unwrapAmpCache(url: URL): URL {
  if (!AMP_CACHE_HOST.test(url.hostname)) return url;
  const match = /^\/[a-z]\/(s\/)?(.+)$/.exec(url.pathname);
  if (!match?.[2]) return url;
  return new URL(`${match[1] ? 'https' : 'http'}://${match[2]}${url.search}`);
}

/**
 * The path with its AMP and default-page spellings folded: `/amp/story`, `/story/amp`,
 * `/story.amp`, `/story.amp.html` (→ `.html`), `/story/index.html`, trailing slashes. Folded
 * until none is left, so the result folds to itself; by index, not regex, so a run of
 * `/amp/amp/…` or `////…` costs linear time (`/\/+$/` backtracks quadratically over slashes).
 */
function foldPath(path: string): string {
  let start = 0;
  while (path.startsWith('/amp/', start)) start += 4;
  let end = path.length;
  /** `.html` or `.htm`, once `.amp` before it is folded: kept at the end. */
  let extension = '';
  const endsWith = (suffix: string): boolean => end - suffix.length >= start && path.endsWith(suffix, end);
  for (;;) {
    if (extension === '') {
      while (end > start && path.charCodeAt(end - 1) === 0x2f) end--;
      const page = INDEX_PAGES.find(endsWith);
      const amp = ['/amp', '.amp'].find(endsWith);
      const ampPage = ['.amp.html', '.amp.htm'].find(endsWith);
      if (page || amp) {
        end -= (page ?? amp)!.length;
      } else if (ampPage) {
        end -= ampPage.length;
        extension = ampPage.slice(4);
      } else {
        return path.slice(start, end);
      }
    } else if (endsWith('.amp')) {
      end -= 4;
    } else if (endsWith('/index')) {
      end -= 6;
      extension = '';
    } else {
      return path.slice(start, end) + extension;
    }
  }
}
