/**
 * One spelling per article link, so the same column syndicated by several feeds meets itself:
 * scheme, `www.`, trailing slash, fragment, tracking parameters and AMP variants folded away.
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

/** The canonical form of an article URL, or null when it is not an http(s) URL. */
export function canonicalUrl(link: string | null): string | null {
  if (!link) return null;
  let url: URL;
  try {
    url = unwrapAmpCache(new URL(link.trim()));
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const host = url.hostname.replace(/^(www\d?|amp)\./, '').replace(/\.$/, '');
  const port = url.port && url.port !== '80' && url.port !== '443' ? `:${url.port}` : '';
  const path = foldAmpPath(url.pathname).replace(/\/+$/, '') || '/';
  const query = [...url.searchParams]
    .filter(([key]) => !isTrackingParam(key))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => (value === '' ? encodeURIComponent(key) : `${encodeURIComponent(key)}=${encodeURIComponent(value)}`))
    .join('&');
  return `https://${host}${port}${path}${query ? `?${query}` : ''}`;
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
  const pairs = url.search.slice(1).split('&');
  // Decide on the decoded name, but keep each kept pair exactly as the feed wrote it.
  const kept = pairs.filter((pair) => !isTrackingParam(decodeName(pair.split('=', 1)[0] ?? '')));
  if (kept.length === pairs.length) return link;
  url.search = kept.filter((pair) => pair !== '').join('&');
  return url.href;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/** `https://www-example-com.cdn.ampproject.org/c/s/example.com/x` → `https://example.com/x`. */
function unwrapAmpCache(url: URL): URL {
  if (!AMP_CACHE_HOST.test(url.hostname)) return url;
  const match = /^\/[a-z]\/(s\/)?(.+)$/.exec(url.pathname);
  if (!match?.[2]) return url;
  return new URL(`${match[1] ? 'https' : 'http'}://${match[2]}${url.search}`);
}

/** `/amp/story`, `/story/amp`, `/story.amp`, `/story.amp.html` → `/story` (or `.html`). */
function foldAmpPath(path: string): string {
  return path
    .replace(/^\/amp(?=\/)/, '')
    .replace(/\/amp\/?$/, '')
    .replace(/\.amp(\.html?)?$/, '$1');
}
