/**
 * The path of a request exactly as the client sent it, for exact route matching. Parsing the
 * target as a WHATWG URL reads "//feed.xml" as a host named feed.xml with the path "/" (the
 * home page), and resolves "/./feed.xml" and "/%2e/feed.xml" to "/feed.xml": one document then
 * answers at endless addresses, which caches, logs and access rules each count differently.
 * So routes match the raw path; dot segments, empty segments, trailing slashes and `;params`
 * match no route and are 404.
 */

/** A request target: the raw path to route on, and the whole target parsed for its query. */
export interface RequestTarget {
  /** The path as sent, still percent-encoded: "/feed.xml", "//feed.xml", "/./feed.xml". */
  path: string;
  /** The target parsed (for `searchParams`); its pathname may be normalized, so do not route on it. */
  url: URL;
}

/** Reads origin-form ("/feed.xml?limit=5") or absolute-form ("http://host/feed.xml") targets (RFC 9112 §3.2); null for any other form. */
export function readRequestTarget(target: string): RequestTarget | null {
  // A server must accept absolute-form (RFC 9112 §3.2.2); the authority is not ours to route on.
  const authority = /^https?:\/\/[^/?#]*/i.exec(target);
  let rest = authority ? target.slice(authority[0].length) : target;
  if (authority && (rest === '' || rest.startsWith('?'))) rest = `/${rest}`;
  if (!rest.startsWith('/')) return null;
  const queryAt = rest.indexOf('?');
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  try {
    return { path, url: new URL(`http://localhost${rest}`) };
  } catch {
    return null;
  }
}

/**
 * The route a path names when the site lives under `basePath` (the path of `baseUrl`, such as
 * "/news"; "" at the root). A proxy may pass requests on with the prefix ("/news/feed.xml")
 * or strip it ("/feed.xml"), so both are served. Where the two readings differ (a prefix that
 * is itself a route, such as "/feeds": is "/feeds/x/feed.xml" feed x, or "/x/feed.xml" under
 * the prefix?), the reading that names a route wins, the prefix stripped first.
 */
export function routeUnderBase(path: string, basePath: string, isRoute: (path: string) => boolean): string {
  if (basePath === '' || !(path === basePath || path.startsWith(`${basePath}/`))) return path;
  // The prefix alone is the home page, unless it names a route itself ("/search?q=…" from a
  // proxy that stripped "/search" off "/search/search"); the site's own links end in "/".
  if (path === basePath && isRoute(path)) return path;
  const stripped = path.slice(basePath.length) || '/';
  return isRoute(stripped) || !isRoute(path) ? stripped : path;
}
