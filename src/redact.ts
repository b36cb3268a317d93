/**
 * Secrets out of printable text: the password of a URL's userinfo (RFC 3986 §3.2.1 deprecates
 * it, yet SMTP_URL and private feeds still carry one) and the values of query parameters that
 * by name hold a credential (`?token=`, `?api_key=`, `?sig=`…). Everything else of the text
 * stays as written, so an error still names the host and path it is about.
 *
 * Every output that can show a feed URL or an error quoting one goes through this module:
 * `redactUrl`/`redactSecrets` for operators (errors, logs, listings), `publicUrl` for
 * documents anyone can fetch (the OPML list), where even the user name is left out.
 * A secret in the path (`/feed/PRIVATE-TOKEN`) cannot be told from a path and is not hidden.
 */

export const REDACTED = '***';

/** Query and fragment parameter names (lower-cased, without "-", "_", ".") that hold a credential. */
const SECRET_NAMES = new Set([
  'password',
  'passwd',
  'pass',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'auth',
  'key',
  'sig',
  'signature',
  'apikey',
  'accesstoken',
  'authtoken',
  'privatetoken',
  'apitoken',
  'authkey',
  'accesskey',
  'clientsecret',
  'refreshtoken',
  'idtoken',
  'session',
  'sessionid',
  'sessiontoken',
  'jwt',
  'bearer',
  'credential',
  'credentials',
  'xamzsignature',
  'xamzcredential',
  'xamzsecuritytoken',
]);
/** …and the endings that mark one too (`feed_token`, `X-Goog-Signature`, `rss-secret`). */
const SECRET_SUFFIXES = [
  'token',
  'secret',
  'password',
  'passwd',
  'signature',
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'authkey',
  'credential',
  'credentials',
];
/** Known secrets shorter than this are not masked as bare text: "abc" would hit ordinary words. */
const MIN_KNOWN_SECRET = 4;

const SCHEME_CHAR = /^[a-z0-9+.-]$/i;
/** Where a URL quoted in prose ends: space, quotes, angle brackets (RFC 3986 Appendix C). */
const TEXT_END = /[\s"'<>`]/;
/** Punctuation that ends a sentence rather than the URL before it. */
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}']);

interface UrlParts {
  /** `https://` */
  scheme: string;
  /** Before the last "@" of the authority, or null when there is none. */
  userinfo: string | null;
  /** Host and port. */
  host: string;
  /** Path, query and fragment as written. */
  tail: string;
}

/** `https://user:secret@host/x?token=abc` → `https://user:***@host/x?token=***`; not-URLs come back unchanged. */
export function redactUrl(url: string): string {
  const parts = splitUrl(url);
  if (!parts) return redactSecrets(url);
  return maskKnown(joinUrl(parts, maskUserinfo(parts.userinfo), 'mask'), secretsOfParts(parts));
}

/**
 * Redacts every URL inside a longer text, such as an error message that quotes one; the
 * passwords and secret parameter values of `knownUrls` (the feed's own URLs) are masked
 * wherever they appear, however the text quotes them.
 */
export function redactSecrets(text: string, knownUrls: ReadonlyArray<string | null | undefined> = []): string {
  let out = '';
  let cursor = 0;
  // One pass: each "://" is found once, the scheme before it is read back no further than the
  // last URL's end, and the URL after it is read forward once (linear, unlike a backtracking regex).
  for (let at = text.indexOf('://', cursor); at !== -1; at = text.indexOf('://', Math.max(cursor, at + 3))) {
    let start = at;
    while (start > cursor && SCHEME_CHAR.test(text[start - 1]!)) start--;
    while (start < at && !/[a-z]/i.test(text[start]!)) start++;
    if (start === at) continue;
    let end = at + 3;
    while (end < text.length && !TEXT_END.test(text[end]!)) end++;
    // A loop, not /[.,]+$/: that regex retries from every dot of a long run (quadratic).
    while (end > at + 3 && TRAILING.has(text[end - 1]!)) end--;
    out += text.slice(cursor, start) + redactUrl(text.slice(start, end));
    cursor = end;
  }
  out += text.slice(cursor);
  return maskKnown(
    out,
    knownUrls.flatMap((url) => (url ? secretsOf(url) : [])),
  );
}

/**
 * The URL as a public document may show it: no user name or password, and no secret
 * parameters (dropped, not masked: `?token=***` would only make a reader fetch a wrong
 * token). A URL without secrets comes back exactly as written.
 */
export function publicUrl(url: string): string {
  const parts = splitUrl(url);
  return parts ? joinUrl(parts, '', 'drop') : url;
}

/** True when the URL carries a password, a user name or a secret parameter. */
export function hasSecrets(url: string): boolean {
  return publicUrl(url) !== url;
}

/** The literal secrets of a URL (password, secret parameter values), as written and decoded. */
export function secretsOf(url: string): string[] {
  const parts = splitUrl(url);
  return parts ? secretsOfParts(parts) : [];
}

function splitUrl(url: string): UrlParts | null {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)/i.exec(url);
  if (!match) return null;
  const scheme = match[1]!;
  const after = url.slice(scheme.length);
  // The authority ends at the first "/", "?" or "#" (RFC 3986 §3.2); WHATWG URL reads "\" as "/".
  const authorityEnd = after.search(/[/?#\\]/);
  const authority = authorityEnd === -1 ? after : after.slice(0, authorityEnd);
  const tail = authorityEnd === -1 ? '' : after.slice(authorityEnd);
  // The last "@" ends the userinfo, as in the WHATWG URL parser: a password may contain a raw "@".
  const at = authority.lastIndexOf('@');
  return { scheme, userinfo: at === -1 ? null : authority.slice(0, at), host: authority.slice(at + 1), tail };
}

function maskUserinfo(userinfo: string | null): string {
  if (userinfo === null) return '';
  const colon = userinfo.indexOf(':');
  if (colon === -1 || colon === userinfo.length - 1) return `${userinfo}@`;
  return `${userinfo.slice(0, colon)}:${REDACTED}@`;
}

/** Path, query (after "?") and fragment (after "#") of a URL's tail; null when absent. */
function sectionsOf(tail: string): { path: string; query: string | null; fragment: string | null } {
  const hash = tail.indexOf('#');
  const beforeHash = hash === -1 ? tail : tail.slice(0, hash);
  const question = beforeHash.indexOf('?');
  return {
    path: question === -1 ? beforeHash : beforeHash.slice(0, question),
    query: question === -1 ? null : beforeHash.slice(question + 1),
    fragment: hash === -1 ? null : tail.slice(hash + 1),
  };
}

/** A fragment holds parameters only when it looks like some (OAuth puts #access_token= there). */
const pairSections = (query: string | null, fragment: string | null): string[] =>
  [query, fragment !== null && fragment.includes('=') ? fragment : null].filter((section): section is string => section !== null);

function joinUrl(parts: UrlParts, userinfo: string, mode: 'mask' | 'drop'): string {
  const { path, query, fragment } = sectionsOf(parts.tail);
  const section = (mark: string, value: string | null, isPairs: boolean) => {
    if (value === null) return '';
    const cleaned = isPairs ? cleanPairs(value, mode) : value;
    // Every parameter dropped: no bare "?" left behind.
    return cleaned === '' && value !== '' ? '' : `${mark}${cleaned}`;
  };
  return `${parts.scheme}${userinfo}${parts.host}${path}${section('?', query, true)}${section('#', fragment, pairSections(null, fragment).length > 0)}`;
}

function cleanPairs(pairs: string, mode: 'mask' | 'drop'): string {
  const kept: string[] = [];
  for (const pair of pairs.split('&')) {
    const equals = pair.indexOf('=');
    if (equals === -1 || equals === pair.length - 1 || !isSecretName(pair.slice(0, equals))) kept.push(pair);
    else if (mode === 'mask') kept.push(`${pair.slice(0, equals)}=${REDACTED}`);
  }
  return kept.join('&');
}

function isSecretName(raw: string): boolean {
  const name = decodeLoosely(raw)
    .toLowerCase()
    .replace(/[-_.\s]/g, '');
  return SECRET_NAMES.has(name) || SECRET_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

function secretsOfParts(parts: UrlParts): string[] {
  const found: string[] = [];
  const colon = parts.userinfo?.indexOf(':') ?? -1;
  if (parts.userinfo && colon !== -1) found.push(parts.userinfo.slice(colon + 1));
  const { query, fragment } = sectionsOf(parts.tail);
  for (const pair of pairSections(query, fragment).flatMap((section) => section.split('&'))) {
    const equals = pair.indexOf('=');
    if (equals > 0 && isSecretName(pair.slice(0, equals))) found.push(pair.slice(equals + 1));
  }
  return found
    .flatMap((secret) => [secret, decodeLoosely(secret)])
    .filter((secret) => secret.length >= MIN_KNOWN_SECRET && secret !== REDACTED);
}

/** Replaces every occurrence of each secret, longest first (a secret may contain a shorter one). */
function maskKnown(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...new Set(secrets)].sort((a, b) => b.length - a.length)) out = out.split(secret).join(REDACTED);
  return out;
}

function decodeLoosely(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
