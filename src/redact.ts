/**
 * Secrets out of printable text: the password of a URL's userinfo (RFC 3986 §3.2.1 deprecates
 * it, yet SMTP_URL and private feeds still carry one) and the values of query parameters that
 * by name hold a credential. Everything else of the text stays as written.
 */

export const REDACTED = '***';

// Scheme and authority (RFC 3986 §3): the authority ends at the first "/", "?", "#" or space.
const URL_AUTHORITY = /\b([a-z][a-z0-9+.-]*:\/\/)([^/?#\s"'<>]*)([^\s"'<>]*)/gi;
const SECRET_PARAMS = new Set([
  'password', 'passwd', 'pass', 'pwd', 'secret', 'token', 'access_token', 'auth', 'auth_token',
  'apikey', 'api_key', 'key', 'sig', 'signature', 'private_token',
]);

/** `https://user:secret@host/x?token=abc` → `https://user:***@host/x?token=***`; not-URLs come back unchanged. */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}

/** Redacts every URL inside a longer text, such as an error message that quotes one. */
export function redactSecrets(text: string): string {
  return text.replace(URL_AUTHORITY, (_whole, scheme: string, authority: string, rest: string) => `${scheme}${redactAuthority(authority)}${redactQuery(rest)}`);
}

function redactAuthority(authority: string): string {
  // The last "@" ends the userinfo, as in the WHATWG URL parser: a password may contain a raw "@".
  const at = authority.lastIndexOf('@');
  if (at === -1) return authority;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon === -1 || colon === userinfo.length - 1) return authority;
  return `${userinfo.slice(0, colon)}:${REDACTED}${authority.slice(at)}`;
}

function redactQuery(rest: string): string {
  const question = rest.indexOf('?');
  if (question === -1) return rest;
  const hash = rest.indexOf('#', question);
  const end = hash === -1 ? rest.length : hash;
  const query = rest.slice(question + 1, end).split('&').map((pair) => {
    const equals = pair.indexOf('=');
    if (equals === -1 || equals === pair.length - 1) return pair;
    return SECRET_PARAMS.has(pair.slice(0, equals).toLowerCase()) ? `${pair.slice(0, equals)}=${REDACTED}` : pair;
  });
  return `${rest.slice(0, question + 1)}${query.join('&')}${rest.slice(end)}`;
}
