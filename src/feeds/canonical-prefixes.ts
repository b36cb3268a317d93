/**
 * Extension namespaces under the prefixes the readers look for. The tree we read is not
 * namespace-aware (xml2js keeps names as written), so `<c:encoded>` with `xmlns:c` bound to the
 * content module, or ElementTree's `<ns0:creator>`, would go unread: each such prefix is renamed
 * to the usual one, unless the document binds that one to something else.
 */

const CANONICAL_PREFIXES = new Map([
  ['http://purl.org/rss/1.0/modules/content/', 'content'],
  ['http://purl.org/dc/elements/1.1/', 'dc'],
  ['http://purl.org/dc/terms/', 'dcterms'],
  ['http://search.yahoo.com/mrss/', 'media'],
  ['http://www.itunes.com/dtds/podcast-1.0.dtd', 'itunes'],
  ['http://rssnamespace.org/feedburner/ext/1.0', 'feedburner'],
]);

/** `[prefix, canonical]` for each declaration in `declarations` that renamePrefixes renames. */
export function prefixRenames(declarations: Iterable<readonly [prefix: string, uri: string]>): Array<[string, string]> {
  const bound = new Map<string, string>();
  for (const [prefix, uri] of declarations) if (!bound.has(prefix)) bound.set(prefix, uri);
  const renames: Array<[string, string]> = [];
  for (const [prefix, uri] of bound) {
    const canonical = CANONICAL_PREFIXES.get(uri);
    if (canonical === undefined || canonical === prefix) continue;
    const taken = bound.get(canonical);
    if (taken === undefined || taken === uri) renames.push([prefix, canonical]);
  }
  return renames;
}

/** `xml` with the elements of each renamed prefix under its canonical one (one linear pass a prefix). */
export function renamePrefixes(xml: string, renames: ReadonlyArray<readonly [string, string]>): string {
  for (const [prefix, canonical] of renames) {
    xml = xml.replace(new RegExp(`<(/?)${prefix.replace(/\./g, '\\.')}:`, 'g'), `<$1${canonical}:`);
  }
  return xml;
}
