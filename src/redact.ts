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
/**
 * WHATWG URL's special schemes with an authority: for them `new URL` (and so fetch) takes any
 * run of "/" and "\" after the ":", none included, so `http:alice:pw@host` sends alice's password.
 */
const SPECIAL_SCHEMES = new Set(['http', 'https', 'ws', 'wss', 'ftp']);
/**
 * Schemes of the database and mail servers we log in to: a user name without a password is a
 * role (`postgres://columnwire@db/…`, the password from .pgpass), not a token; and a password
 * may hold a raw "#", "/" or "?", so the userinfo runs to the last "@" when the URL is no web URL.
 */
const LOGIN_SCHEMES = new Set(['postgres', 'postgresql', 'smtp', 'smtps']);

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
  const parts = partsOf(url);
  if (!parts) return redactSecrets(url);
  const masked = joinUrl(parts, maskUserinfo(parts), 'mask');
  // Nothing to mask: as written (`http:h/x` stays so in prose, though WHATWG reads http://h/x).
  const unchanged = masked === joinUrl(parts, parts.userinfo === null ? '' : `${parts.userinfo}@`, 'keep');
  return maskKnown(unchanged ? url : masked, secretsOf(url));
}

/**
 * Redacts every URL inside a longer text, such as an error message that quotes one; the
 * passwords and secret parameter values of `knownUrls` (the feed's own URLs) are masked
 * wherever they appear, however the text quotes them.
 */
export function redactSecrets(raw: string, knownUrls: ReadonlyArray<string | null | undefined> = []): string {
  const known = knownUrls.flatMap((url) => (url ? secretsOf(url) : []));
  // Known secrets first: a URL quoted in prose ends at a space, which a password may hold, and
  // masking the URL's first part would leave the rest of the password no longer whole.
  const text = maskKnown(raw, known);
  let out = '';
  let cursor = 0;
  // One pass: each ":" is found once, the scheme before it is read back no further than the
  // previous ":" or the last URL's end, and a URL after it is read forward once (linear, unlike
  // a backtracking regex). A URL is a scheme followed by "//", or a special scheme alone.
  for (let at = text.indexOf(':', cursor); at !== -1; at = text.indexOf(':', Math.max(cursor, at + 1))) {
    let start = at;
    while (start > cursor && SCHEME_CHAR.test(text[start - 1]!)) start--;
    while (start < at && !/[a-z]/i.test(text[start]!)) start++;
    if (start === at) continue;
    if (!text.startsWith('//', at + 1) && !SPECIAL_SCHEMES.has(text.slice(start, at).toLowerCase())) continue;
    let end = at + 1;
    while (end < text.length && !TEXT_END.test(text[end]!)) end++;
    // A loop, not /[.,]+$/: that regex retries from every dot of a long run (quadratic).
    while (end > at + 1 && TRAILING.has(text[end - 1]!)) end--;
    if (end === at + 1) continue;
    out += text.slice(cursor, start) + redactUrl(text.slice(start, end));
    cursor = end;
  }
  out += text.slice(cursor);
  return maskKnown(out, known);
}

/**
 * `text` (an error about connecting to `url`) with every word of 4 or more characters that is
 * part of one of the URL's secrets masked. A driver may read a URL another way than written:
 * a raw "/" in a password ends the authority, so `postgres://u:@db4prod/x@host/d` makes
 * "db4prod" the host, and the driver's "getaddrinfo ENOTFOUND db4prod" shows part of it.
 */
export function redactSecretParts(text: string, url: string): string {
  const secrets = secretsOf(url);
  const masked = redactSecrets(text, [url]);
  if (secrets.length === 0) return masked;
  return masked.replace(/[^\s,;:()[\]{}"'`<>]{4,}/g, (word) => (secrets.some((secret) => secret.includes(word)) ? REDACTED : word));
}

/**
 * The URL as a public document may show it: no user name or password, and no secret
 * parameters (dropped, not masked: `?token=***` would only make a reader fetch a wrong
 * token). A URL without secrets comes back exactly as written.
 */
export function publicUrl(url: string): string {
  const parts = partsOf(url);
  if (!parts) return url;
  const shown = joinUrl(parts, '', 'drop');
  return shown === joinUrl(parts, parts.userinfo === null ? '' : `${parts.userinfo}@`, 'keep') ? url : shown;
}

/** True when the URL carries a password, a user name or a secret parameter. */
export function hasSecrets(url: string): boolean {
  return publicUrl(url) !== url;
}

/**
 * The literal secrets of a URL (password, or a user name without one; secret parameter values),
 * as written and decoded, read both by splitting the text and as `new URL` reads it.
 */
export function secretsOf(url: string): string[] {
  const split = splitUrl(url);
  const parsed = whatwgParts(url);
  const loose = parsed ? null : splitUrl(url, 'last-at');
  return [split, parsed, loose].flatMap((parts) => (parts ? secretsOfParts(parts) : []));
}

/**
 * The URL split as written, unless `new URL` (what fetch sends) sees credentials the split does
 * not, or the split fails on a URL `new URL` accepts: then the parsed form, so redaction never
 * lets through a password that fetch would send.
 */
function partsOf(url: string): UrlParts | null {
  const split = splitUrl(url);
  const parsed = whatwgParts(url);
  // Not a URL fetch would send (postgres://, smtp://, or one WHATWG refuses): the userinfo runs to
  // the last "@", so a password holding a raw "#", "/" or "?" is masked whole, not cut where the
  // authority would end (postgres://u:Sup3r#S3cret@host). A path or query with an "@" is masked too.
  if (!parsed) return splitUrl(url, 'last-at');
  if (!split || (hasCredential(parsed.userinfo) && !hasCredential(split.userinfo))) return parsed;
  return split;
}

/**
 * Splits like WHATWG URL for special schemes (RFC 3986 §3 otherwise), keeping the text as written;
 * with 'last-at', the userinfo is everything before the last "@" of the whole URL.
 */
function splitUrl(raw: string, userinfoEnds: 'authority' | 'last-at' = 'authority'): UrlParts | null {
  // WHATWG URL strips leading and trailing C0 controls and spaces (loops, not /\s+$/, which
  // retries from every space of a long inner run); the tabs and newlines it also removes are
  // kept here, as written, and whatwgParts reads the URL without them.
  let first = 0;
  let last = raw.length;
  while (first < last && raw.charCodeAt(first) <= 0x20) first++;
  while (last > first && raw.charCodeAt(last - 1) <= 0x20) last--;
  const url = raw.slice(first, last);
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  if (!match) return null;
  const name = match[1]!;
  const special = SPECIAL_SCHEMES.has(name.toLowerCase());
  let skip = name.length + 1;
  if (special) while (url[skip] === '/' || url[skip] === '\\') skip++;
  else if (url.startsWith('//', skip)) skip += 2;
  else return null;
  // Written as `scheme://` unless it was: "http:\\h" and "http:h" are http://h to WHATWG URL.
  const scheme = url.slice(skip - 2, skip) === '//' && skip === name.length + 3 ? url.slice(0, skip) : `${name}://`;
  const after = url.slice(skip);
  const lastAt = after.lastIndexOf('@');
  // A login scheme's userinfo runs to the last "@" whatever it holds; another's only when no "/"
  // comes first: `feed://host/@jane.rss` and a web URL with a bad port have a path with an "@"
  // in it, whose host the reader must see to fix it.
  if (userinfoEnds === 'last-at' && lastAt !== -1 && (LOGIN_SCHEMES.has(name.toLowerCase()) || !after.slice(0, lastAt).includes('/'))) {
    const rest = splitUrl(`${name}://${after.slice(lastAt + 1)}`)!;
    return { ...rest, scheme, userinfo: after.slice(0, lastAt) };
  }
  // The authority ends at the first "/", "?" or "#" (RFC 3986 §3.2); WHATWG URL reads "\" as "/".
  const authorityEnd = after.search(/[/?#\\]/);
  const authority = authorityEnd === -1 ? after : after.slice(0, authorityEnd);
  const tail = authorityEnd === -1 ? '' : after.slice(authorityEnd);
  // The last "@" ends the userinfo, as in the WHATWG URL parser: a password may contain a raw "@".
  const at = authority.lastIndexOf('@');
  return { scheme, userinfo: at === -1 ? null : authority.slice(0, at), host: authority.slice(at + 1), tail };
}

/** The URL as `new URL` reads it, for special schemes only; null when it does not parse. */
function whatwgParts(url: string): UrlParts | null {
  if (!URL.canParse(url)) return null;
  const parsed = new URL(url);
  if (!SPECIAL_SCHEMES.has(parsed.protocol.slice(0, -1))) return null;
  const userinfo = parsed.password !== '' ? `${parsed.username}:${parsed.password}` : parsed.username;
  return {
    scheme: `${parsed.protocol}//`,
    userinfo: userinfo === '' ? null : userinfo,
    host: parsed.host,
    tail: `${parsed.pathname}${parsed.search}${parsed.hash}`,
  };
}

/** A login scheme's user name alone (no ":"): a role, not a secret. `scheme` as UrlParts writes it (`postgres://`). */
function isRoleOnly(scheme: string, userinfo: string): boolean {
  // `u%3Apw` is a user name to URL, yet holds a password after its encoded ":".
  return !decodeLoosely(userinfo).includes(':') && LOGIN_SCHEMES.has(scheme.replace(/:\/*$/, '').toLowerCase());
}

/** A user name or a password, either of which may be the secret (`https://TOKEN@host/`). */
function hasCredential(userinfo: string | null): boolean {
  return userinfo !== null && userinfo !== '' && userinfo !== ':';
}

/** `alice:***@`; a user name without a password is masked whole (it is often the token itself), but a login scheme's role. */
function maskUserinfo({ scheme, userinfo }: UrlParts): string {
  if (userinfo === null) return '';
  if (!hasCredential(userinfo) || isRoleOnly(scheme, userinfo)) return `${userinfo}@`;
  const colon = userinfo.indexOf(':');
  if (colon === -1 || colon === userinfo.length - 1) return `${REDACTED}@`;
  return `${userinfo.slice(0, colon)}:${REDACTED}@`;
}

/** What becomes of a secret parameter: `name=***`, left out, or left as written. */
type Mode = 'mask' | 'drop' | 'keep';

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

function joinUrl(parts: UrlParts, userinfo: string, mode: Mode): string {
  const { path, query, fragment } = sectionsOf(parts.tail);
  const section = (mark: string, value: string | null, isPairs: boolean) => {
    if (value === null) return '';
    const cleaned = isPairs ? cleanPairs(value, mode) : value;
    // Every parameter dropped: no bare "?" left behind.
    return cleaned === '' && value !== '' ? '' : `${mark}${cleaned}`;
  };
  return `${parts.scheme}${userinfo}${parts.host}${path}${section('?', query, true)}${section('#', fragment, pairSections(null, fragment).length > 0)}`;
}

function cleanPairs(pairs: string, mode: Mode): string {
  if (mode === 'keep') return pairs;
  const kept: string[] = [];
  for (const pair of pairs.split('&')) {
    const equals = pair.indexOf('=');
    if (equals === -1 || equals === pair.length - 1 || !isSecretName(pair.slice(0, equals))) kept.push(pair);
    else if (mode === 'mask') kept.push(`${pair.slice(0, equals)}=${REDACTED}`);
  }
  return kept.join('&');
}

/** By name, decoded; `token[]` and `auth[token]` (PHP and Rails arrays) by each bracketed part. */
function isSecretName(raw: string): boolean {
  return decodeLoosely(raw)
    .toLowerCase()
    .replace(/[-_.\s]/g, '')
    .split(/[[\]]/)
    .some((name) => name !== '' && (SECRET_NAMES.has(name) || SECRET_SUFFIXES.some((suffix) => name.endsWith(suffix))));
}

function secretsOfParts(parts: UrlParts): string[] {
  const found: string[] = [];
  if (parts.userinfo !== null && hasCredential(parts.userinfo) && !isRoleOnly(parts.scheme, parts.userinfo)) {
    const colon = parts.userinfo.indexOf(':');
    const user = colon === -1 ? parts.userinfo : parts.userinfo.slice(0, colon);
    const password = colon === -1 ? '' : parts.userinfo.slice(colon + 1);
    // The password, or the whole user name when there is none (`https://TOKEN@host/`); an
    // encoded `alice%3Apw` is one user name to URL, yet its part after the ":" is a password.
    const decodedUser = decodeLoosely(user);
    if (password !== '') found.push(password);
    else found.push(user, ...(decodedUser.includes(':') ? [decodedUser.slice(decodedUser.indexOf(':') + 1)] : []));
  }
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
