/**
 * Reading only the items a feed's digest does not know (feeds/item-digest.ts, parseFeedTracked):
 * whatever the document, the items read with some of them known are exactly the items a whole
 * read gives at the same places, and the known ones (each once in the document) are the ones left unread. Checked on every
 * fixture feed and on generated documents full of what trips a scanner (CDATA and comments
 * holding item tags, attributes holding `>`, nested elements of the item's name, self-closing
 * items, items outside the channel, xml:base, namespaces), for RSS 2.0, RSS 1.0, Atom and JSON Feed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bodyEncoding, decodeBody, decodeText, isAsciiTransparent } from '../../src/feeds/decode-body.ts';
import { identitiesOf, rawItemHash, readItemDigest, sharesIdentity, writeItemDigest } from '../../src/feeds/item-digest.ts';
import { parseDocument, type ParseInput } from '../../src/feeds/parse-document.ts';
import { parseFeed, parseFeedTracked, parseFeedTrackedBytes, type KnownItems, type TrackedFeed } from '../../src/feeds/parse-feed.ts';
import { rootElementName } from '../../src/feeds/repair-xml.ts';
import { childElementSpans } from '../../src/feeds/xml-scan.ts';
import { encodeWindows1252 } from '../helpers/encodings.ts';
import { intBetween, mulberry32, pick } from '../helpers/prng.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/feeds');
const URL_OF = 'https://columns.example/feeds/feed.xml';

/** Reads `text` whole, then with each of several random subsets of its items known, and checks the partial reads. */
const track = (known: KnownItems | null) => ({ known, salt: 'pick', maxItems: 1000 });
/** How many partial reads left some items unread (the tests check that most did). */
let partialReads = 0;

async function checkPartialReads(text: string, random: () => number, rounds = 4): Promise<TrackedFeed> {
  const whole = await parseFeedTracked(text, URL_OF, track(null));
  expect(whole.parsed).toEqual(await parseFeed(text, URL_OF));
  expect(whole.knownHashes).toEqual([]);
  const hashes = whole.itemHashes;
  if (hashes === null) return whole;
  expect(hashes).toHaveLength(whole.parsed.items.length);
  const copies = new Map<string, number>();
  for (const hash of hashes) copies.set(hash, (copies.get(hash) ?? 0) + 1);
  for (let round = 0; round < rounds; round++) {
    const known = new Set(hashes.filter(() => random() < 0.6));
    const partial = await parseFeedTracked(text, URL_OF, track({ context: whole.context!, hashes: known }));
    expect(partial.context).toBe(whole.context);
    // Either the known items are left unread (each once in the document), or, when they are not
    // most of the document (a cut one would not pay), none is.
    const cut = partial.knownHashes.length > 0;
    const skipped = hashes.map((hash) => cut && copies.get(hash) === 1 && known.has(hash));
    if (cut) partialReads++;
    expect(partial.knownHashes).toEqual(hashes.filter((_, index) => skipped[index]));
    expect(partial.itemHashes).toEqual(hashes.filter((_, index) => !skipped[index]));
    expect(partial.parsed.items).toEqual(whole.parsed.items.filter((_, index) => !skipped[index]));
    expect(partial.parsed.feed).toEqual(whole.parsed.feed);
    // Known under another context, nothing is skipped.
    const elsewhere = await parseFeedTracked(text, URL_OF, track({ context: 'another', hashes: known }));
    expect(elsewhere.parsed.items).toEqual(whole.parsed.items);
  }
  return whole;
}

/** How many documents had their known items cut out of the bytes (the tests check that most did). */
let byteCuts = 0;

/**
 * Reads `bytes` with random known subsets of its items (parseFeedTrackedBytes) and checks each
 * read against the text decoded whole and read whole: a cut leaves the whole read's items at the
 * same places and reads the channel the same; a read with nothing cut is the whole read. The item
 * spans and their hashes are found here as the cut finds them, in the bytes read as latin1.
 */
async function checkByteCuts(bytes: Uint8Array, contentType: string | null, random: () => number): Promise<void> {
  const { encoding, bomLength } = bodyEncoding(bytes, contentType);
  const body = bytes.subarray(bomLength);
  if (!isAsciiTransparent(encoding, body)) return;
  const decode = (cut: Uint8Array) => decodeText(encoding, cut);
  const document = { bytes: body, encoding, decode, text: () => decode(body) };
  let whole: TrackedFeed;
  try {
    whole = await parseFeedTracked(decode(body), URL_OF, track(null));
  } catch {
    return; // not a feed: nothing to cut
  }
  // Read whole from its bytes: the same feed, under a context of its own (byte hashes are kept apart).
  const first = await parseFeedTrackedBytes(document, URL_OF, track(null));
  expect(first.parsed).toEqual(whole.parsed);
  const view = Buffer.from(body).toString('latin1');
  const root = rootElementName(view);
  const path = root === 'rss' ? (['rss', 'channel'] as const) : root === 'rdf:RDF' ? (['rdf:RDF'] as const) : (['feed'] as const);
  const spans =
    root === 'rss' || root === 'rdf:RDF' || root === 'feed' ? childElementSpans(view, path, root === 'feed' ? 'entry' : 'item') : null;
  const hashes = spans?.map(([start, end]) => rawItemHash(body.subarray(start, end))) ?? [];
  const copies = new Map<string, number>();
  for (const hash of hashes) copies.set(hash, (copies.get(hash) ?? 0) + 1);
  for (let round = 0; round < 3; round++) {
    const known = new Set(hashes.filter(() => random() < 0.7));
    const tracking = track({ context: first.context ?? 'untracked', hashes: known });
    const read = await parseFeedTrackedBytes(document, URL_OF, tracking);
    if (first.context === whole.context) {
      // Not one the bytes can be cut in (read under the text's context): read exactly as text.
      expect(read).toEqual(await parseFeedTracked(decode(body), URL_OF, tracking));
      continue;
    }
    if (read.knownHashes.length === 0) {
      expect(read.parsed).toEqual(whole.parsed);
      continue;
    }
    // A cut is made only of documents whose items the scan and the parser agree on.
    expect(whole.parsed.items).toHaveLength(hashes.length);
    const skipped = hashes.map((hash) => copies.get(hash) === 1 && known.has(hash));
    expect(read.knownHashes).toEqual(hashes.filter((_, index) => skipped[index]));
    expect(read.itemHashes).toEqual(hashes.filter((_, index) => !skipped[index]));
    expect(read.parsed.items).toEqual(whole.parsed.items.filter((_, index) => !skipped[index]));
    expect(read.parsed.feed).toEqual(whole.parsed.feed);
    expect(read.context).toBe(first.context);
    byteCuts++;
  }
}

/** Text that the mending (repair-xml.ts) changes, beside text it leaves: HTML entities, stray `&`, forbidden controls. */
const MENDED_TEXT = [
  'caf&eacute; &nbsp;au lait',
  'fish & chips &c',
  'a \u0001bell\u0008 &#1; here',
  '&hellip;&mdash; &#x1F600;',
  'L’été – “ok” ✓',
];

describe('reading only the items not known', () => {
  it('gives, for every fixture feed, the items a whole read gives at the same places', async () => {
    const random = mulberry32(7);
    let tracked = 0;
    for (const name of readdirSync(FIXTURES)) {
      const bytes = readFileSync(join(FIXTURES, name));
      const text = decodeBody(bytes, name.endsWith('.json') ? 'application/json' : null);
      let whole: TrackedFeed;
      try {
        whole = await checkPartialReads(text, random);
      } catch (error) {
        // Not a feed at all (the not-a-feed fixtures): a whole read refuses it the same way.
        if ((error as Error).name !== 'FeedParseError') throw error;
        await expect(parseFeed(text, URL_OF)).rejects.toThrow((error as Error).message);
        continue;
      }
      if (whole.itemHashes !== null && whole.parsed.items.length > 1) tracked++;
    }
    // Most real shapes are read item by item (the rest are read whole, which is always right).
    expect(tracked).toBeGreaterThanOrEqual(25);
    expect(partialReads).toBeGreaterThanOrEqual(50);
  });

  it('gives the same items on generated documents built to trip a scanner', async () => {
    const random = mulberry32(20261206);
    let tracked = 0;
    partialReads = 0;
    for (let doc = 0; doc < 400; doc++) {
      const text = generatedFeed(random, doc);
      const whole = await checkPartialReads(text, random, 2);
      if (whole.itemHashes !== null) tracked++;
    }
    expect(tracked).toBeGreaterThan(300);
    expect(partialReads).toBeGreaterThan(200);
  });

  it('reads every Atom entry again when the feed comes to declare as its xml:base the URL it had without', async () => {
    // Declared, the base resolves the entries' content too (resolve-content-urls.ts); undeclared, it does not.
    const entry = (n: number) =>
      `<entry><id>urn:c:${n}</id><title>Column ${n}</title><updated>2025-06-0${n}T10:00:00Z</updated>` +
      `<content type="html">${'&lt;p&gt;Words.&lt;/p&gt;'.repeat(20)}&lt;a href="../c/${n}.html"&gt;more&lt;/a&gt;</content></entry>`;
    const doc = (head: string) => `<feed xmlns="http://www.w3.org/2005/Atom"${head}><title>T</title>${entry(1)}${entry(2)}</feed>`;
    const first = await parseFeedTracked(doc(''), URL_OF, track(null));
    expect(first.parsed.items[0]!.content).toContain('href="../c/1.html"');
    const declared = await parseFeedTracked(
      doc(` xml:base="${URL_OF}"`),
      URL_OF,
      track({ context: first.context!, hashes: new Set(first.itemHashes) }),
    );
    expect(declared.knownHashes).toEqual([]);
    expect(declared.parsed.items.map((item) => item.content)).toEqual([
      expect.stringContaining('href="https://columns.example/c/1.html"'),
      expect.stringContaining('href="https://columns.example/c/2.html"'),
    ]);
  });

  it('trusts no digest written before Atom content was resolved against xml:base (version 1): its items are read again', () => {
    expect(readItemDigest(writeItemDigest('context', [{ raw: 'r', identities: ['i1'] }]).replace(/^v\d+/, 'v1'))).toBeNull();
  });

  it('reads every item again when the channel author or base changes, or when one raw item appears twice', async () => {
    const item = (n: number) =>
      `<item><title>Column ${n} of the week</title><link>c/${n}.html</link><description>${'Words. '.repeat(40)}</description></item>`;
    const doc = (head: string, items: string) => `<rss version="2.0"><channel ${head}><title>T</title>${items}</channel></rss>`;
    const first = await parseFeedTracked(doc('', item(1) + item(2)), URL_OF, track(null));
    const known = track({ context: first.context!, hashes: new Set(first.itemHashes) });
    const same = await parseFeedTracked(doc('', item(3) + item(1) + item(2)), URL_OF, known);
    expect(same.parsed.items.map((parsed) => parsed.title)).toEqual(['Column 3 of the week']);
    expect(same.knownHashes).toEqual(first.itemHashes);
    // The items' links resolve against another base: read again.
    const rebased = await parseFeedTracked(doc('xml:base="https://elsewhere.example/"', item(1) + item(2)), URL_OF, known);
    expect(rebased.parsed.items.map((parsed) => parsed.link)).toEqual([
      'https://elsewhere.example/c/1.html',
      'https://elsewhere.example/c/2.html',
    ]);
    expect(rebased.knownHashes).toEqual([]);
    // Unsigned items take the channel's author: read again.
    const signed = await parseFeedTracked(doc('', '<dc:creator>Jane Doe</dc:creator>' + item(1) + item(2)), URL_OF, known);
    expect(signed.parsed.items.map((parsed) => parsed.author)).toEqual(['Jane Doe', 'Jane Doe']);
    // Identical items are told apart by their place among each other: all their copies are read.
    const more = await parseFeedTracked(doc('', item(1) + item(2) + item(4) + item(5) + item(6)), URL_OF, track(null));
    const knownMore = track({ context: more.context!, hashes: new Set(more.itemHashes) });
    const twice = await parseFeedTracked(doc('', item(1) + item(1) + item(2) + item(4) + item(5) + item(6)), URL_OF, knownMore);
    expect(twice.parsed.items.map((parsed) => parsed.title)).toEqual(['Column 1 of the week', 'Column 1 of the week']);
    // Another URL (relative links, again), or another pick: read again.
    const moved = await parseFeedTracked(doc('', item(1) + item(2)), 'https://columns.example/v2/feed.xml', known);
    expect(moved.knownHashes).toEqual([]);
    const repicked = await parseFeedTracked(doc('', item(1) + item(2)), URL_OF, { ...known, salt: 'another pick' });
    expect(repicked.knownHashes).toEqual([]);
    // A document left with an empty root once its known entries are cut (`<feed></feed>` reads as no feed) is read whole.
    const atom = (entries: string) => `<feed>${entries}</feed>`;
    const entry = (n: number) => `<entry><id>e${n}</id><title>Entry ${n}</title></entry>`;
    const bare = await parseFeedTracked(atom(entry(1) + entry(2)), URL_OF, track(null));
    const swapped = await parseFeedTracked(
      atom(entry(2) + entry(1)),
      URL_OF,
      track({ context: bare.context!, hashes: new Set(bare.itemHashes) }),
    );
    expect(swapped.parsed.items.map((parsed) => parsed.id)).toEqual(['e2', 'e1']);
    // More items than the cap: read whole, untracked, once.
    expect((await parseFeedTracked(doc('', item(1) + item(2) + item(3)), URL_OF, { ...known, maxItems: 2 })).itemHashes).toBeNull();
  });

  it('parses only the new item of a document with one new among many known, through the parse job', async () => {
    const items = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `<item><title>Column number ${from + i}</title><link>/c/${from + i}</link></item>`).join(
        '',
      );
    const doc = (from: number, to: number) => `<rss version="2.0"><channel><title>T</title>${items(from, to)}</channel></rss>`;
    const now = new Date('2026-01-01T00:00:00Z');
    const job = (text: string, digest: string | null) => ({
      input: { kind: 'text' as const, text },
      url: URL_OF,
      discover: false,
      normalizeAt: now,
      tracking: { digest, salt: '' },
    });
    const first = await parseDocument(job(doc(0, 50), null));
    if (first.kind !== 'normalized' || !first.tracked) throw new Error(`expected a tracked read, got ${first.kind}`);
    expect(first.items).toHaveLength(50);
    const digest = writeItemDigest(first.tracked.context, first.tracked.entries);
    expect(readItemDigest(digest)?.entries.size).toBe(50);
    const next = await parseDocument(job(doc(0, 51), digest));
    if (next.kind !== 'normalized' || !next.tracked) throw new Error(`expected a tracked read, got ${next.kind}`);
    expect(next.items.map((item) => item.title)).toEqual(['Column number 50']);
    expect(next.tracked.known).toHaveLength(50);
    // A new item with the link of a known one is matched against it by the store: the whole document is read.
    const clash = `<rss version="2.0"><channel><title>T</title><item><title>A new title</title><link>/c/3</link></item>${items(0, 50)}</channel></rss>`;
    const whole = await parseDocument(job(clash, digest));
    if (whole.kind !== 'normalized' || !whole.tracked) throw new Error(`expected a tracked read, got ${whole.kind}`);
    expect(whole.items).toHaveLength(51);
    expect(whole.tracked.known).toEqual([]);
    // Past the item cap the document is read whole and cut, untracked.
    const capped = await parseDocument({ ...job(doc(0, 51), digest), maxItems: 10 });
    expect(capped).toMatchObject({ kind: 'normalized', droppedItems: 41 });
    expect(capped.kind === 'normalized' && capped.tracked).toBeFalsy();
  });

  it('tells JSON items apart that JSON cannot write again, and reads whole one nested too deep to hash', async () => {
    const json = (title: string) =>
      `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"a","title":${title}},{"id":"b","title":"B"}]}`;
    const first = await parseFeedTracked(json('null'), URL_OF, track(null));
    const known = track({ context: first.context!, hashes: new Set(first.itemHashes) });
    const infinite = await parseFeedTracked(json('1e400'), URL_OF, known);
    expect(infinite.parsed.items.map((item) => item.title)).toEqual(['Infinity']);
    const deep = `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"a","title":"A","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}]}`;
    const read = await parseFeedTracked(deep, URL_OF, known);
    expect(read.itemHashes).toBeNull();
    expect(read.parsed.items.map((item) => item.title)).toEqual(['A']);
  });

  it('cuts the known items out of the bytes as out of the decoded text, in UTF-8 and single-byte encodings', async () => {
    const random = mulberry32(20261207);
    byteCuts = 0;
    for (const name of readdirSync(FIXTURES)) {
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, name)));
      await checkByteCuts(bytes, null, random);
    }
    const fixtureCuts = byteCuts;
    expect(fixtureCuts).toBeGreaterThanOrEqual(35);
    for (let doc = 0; doc < 400; doc++) {
      const generated = generatedFeed(random, doc, random() < 0.5 ? MENDED_TEXT : undefined);
      // Half without a tag in a PI or an attribute value, and without xhtml content: no document
      // with those is cut in its bytes (the other half checks that it is then read as text).
      const text =
        doc % 8 < 4
          ? generated
          : generated
              .replaceAll('<?pi </item> ?>', '<?pi item ?>')
              .replaceAll("label='</item>'", "label='item'")
              .replaceAll('"xhtml"', '"html"');
      const form = doc % 4;
      if (form === 0) await checkByteCuts(Buffer.from(text), null, random);
      else if (form === 1) await checkByteCuts(Buffer.from(`\uFEFF  \n${text}`), 'application/xml', random);
      else if (form === 2) {
        const declared = text.startsWith('<?xml') ? text.replace(/^<\?xml[^>]*\?>/, '<?xml version="1.0" encoding="windows-1252"?>') : text;
        await checkByteCuts(encodeWindows1252(declared), null, random);
      } else await checkByteCuts(Buffer.from(text), 'application/rss+xml; charset=utf-8', random);
    }
    expect(byteCuts - fixtureCuts).toBeGreaterThan(150);
  });

  it('reads as text the documents whose mending is not item by item', async () => {
    const item = (n: number) =>
      `<item><title>Column ${n} ’s week</title><link>https://c.example/${n}</link><description>${'Words. '.repeat(30)}</description></item>`;
    const items = [1, 2, 3, 4, 5].map(item).join('');
    const rss = (head: string, inner: string, tail = '</channel></rss>') =>
      `${head}<rss version="2.0"><channel><title>T</title>${inner}${tail}`;
    /** Read from its bytes and as text, each with every item but the last known as its own whole read found them. */
    const bothWays = async (text: string) => {
      const document = {
        bytes: Buffer.from(text),
        encoding: 'utf-8',
        decode: (cut: Uint8Array) => decodeText('utf-8', cut),
        text: () => text,
      };
      const readBoth = async (read: (tracking: ReturnType<typeof track>) => Promise<TrackedFeed>) => {
        const whole = await read(track(null)).catch(() => null);
        const tracking = track({ context: whole?.context ?? 'none', hashes: new Set((whole?.itemHashes ?? []).slice(0, -1)) });
        // A document neither reads: the same error both ways.
        return read(tracking).catch((error: Error) => ({ error: error.message }) as unknown as TrackedFeed);
      };
      return {
        bytes: await readBoth((tracking) => parseFeedTrackedBytes(document, URL_OF, tracking)),
        text: await readBoth((tracking) => parseFeedTracked(text, URL_OF, tracking)),
      };
    };
    // A plain document is cut in its bytes, as in its text (so the checks below are not vacuous);
    // its byte hashes are kept under a context of their own.
    const plain = await bothWays(rss('', items + item(6)));
    expect(plain.bytes.parsed.items.map((parsed) => parsed.title)).toEqual(['Column 6 ’s week']);
    expect(plain.bytes.parsed).toEqual(plain.text.parsed);
    expect(plain.bytes.knownHashes).toHaveLength(5);
    expect(plain.bytes.context).not.toBe(plain.text.context);
    // So is one with channel elements between its items and a page cache's comment after its root.
    const cached = await bothWays(
      rss('', `${item(0)}<link>https://c.example/</link>${items}${item(6)}`, '</channel></rss>\n<!-- generated in 0.2 s -->\n'),
    );
    expect(cached.bytes.knownHashes).toHaveLength(6);
    expect(cached.bytes.context).not.toBe(cached.text.context);
    expect(cached.bytes.parsed).toEqual(cached.text.parsed);
    expect(cached.bytes.parsed.feed.link).toBe('https://c.example/');
    // A DTD (its entities are the whole document's), a stray declaration, a truncated document,
    // a namespace prefix the mending strips, JSON, text before the root: read as text.
    for (const text of [
      rss('<!DOCTYPE rss [<!ENTITY me "Jane">]>', items + '<item><title>&me;</title></item>'),
      rss('', items + '<!ENTITY x "y">'),
      rss('', items + item(6), '</channel>'),
      // An item declares the RSS 1.0 namespace: the whole document's mending strips its prefix everywhere.
      rss('', items.replace('<item>', '<item xmlns:r="http://purl.org/rss/1.0/">') + '<item><r:title>Prefixed</r:title></item>'),
      rss(
        '',
        items.replace('<item>', '<item xmlns:u="http://backend.userland.com/rss2"><u:rss/>') + '<item><u:title>Prefixed</u:title></item>',
      ),
      `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"a","title":"A"},{"id":"b","title":"B"}]}`,
      `junk ${rss('', items + item(6))}`,
      // What the mending reads across items: a comment or CDATA opened in a PI or an attribute
      // value, a type="xhtml" its regex finds in a PI, a character it drops, text after the root.
      rss('', items.replace('</item>', '<?pi <!-- ?></item>') + '<item><title>Caf&EACUTE; &bigstar;</title></item>'),
      rss('', items.replace('<item>', '<item><category domain="<![CDATA[">c</category>') + '<item><title>Caf&EACUTE;</title></item>'),
      rss('', items.replace('</item>', '<?pi <title type="xhtml"> ?></item>') + '<item><title>Two]]></title></item>'),
      rss('', items.replace('</item>', '\u0001</item>') + item(6)),
      rss('', items.replace('</item>', ']]\uFFFE></item>') + item(6)),
      `${rss('', items + item(6))} junk`,
    ]) {
      const read = await bothWays(text);
      expect(read.bytes, text.slice(0, 60)).toEqual(read.text);
    }
    // Whatever is cut, the items read are the whole read's last ones: text either side of cut
    // items, joined, declaring a prefix the whole document does not; a no-break space where XML
    // wants white space (not white space to the repair either, or the bytes read as latin1
    // would disagree with it).
    for (const text of [
      rss('', `xmlns:r="http://purl.${item(1)}org/rss/1.0/" ${item(2)}<item><r:title>Prefixed</r:title></item>`),
      rss(
        '',
        items.replace('<item>', '<item><category>xmlns:r\u00a0="http://purl.org/rss/1.0/"</category>') +
          '<item><r:title>Prefixed</r:title></item>',
      ),
      `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>${[1, 2, 3, 4].map((n) => `<entry><id>e${n}</id><title>Entry ${n}</title><summary>${'Words. '.repeat(30)}</summary><!-- <summary type\u00a0=\u00a0"xhtml"> --></entry>`).join('')}<entry><id>e5</id><title>Two]]></title><summary>Plain summary</summary></entry></feed>`,
    ]) {
      const whole = await parseFeedTracked(text, URL_OF, track(null));
      const read = (await bothWays(text)).bytes;
      expect(read.parsed.items, text.slice(0, 80)).toEqual(whole.parsed.items.slice(whole.parsed.items.length - read.parsed.items.length));
    }
    // `<itemé>` is no `item` to the scan, as to the parser, in the text and in the bytes.
    const odd = '<rss><channel><itemé><title>a</title></itemé><item><title>b</title></item></channel></rss>';
    expect(childElementSpans(odd, ['rss', 'channel'], 'item')).toEqual([[45, 74]]);
    expect(childElementSpans(Buffer.from(odd).toString('latin1'), ['rss', 'channel'], 'item', { strict: true })).toEqual([[47, 76]]);
  });

  it('keeps byte hashes apart from text hashes and from the same bytes in another encoding', async () => {
    const item = (n: number) => `<item><title>Column ${n}: caf\xe9 \xe0 la carte</title><link>https://c.example/${n}</link></item>`;
    const doc = (from: number, to: number) =>
      `<rss version="2.0"><channel><title>T</title>${Array.from({ length: to - from }, (_, i) => item(to - 1 - i)).join('')}</channel></rss>`;
    const now = new Date('2026-01-01T00:00:00Z');
    const job = (input: ParseInput, digest: string | null) => ({
      input,
      url: URL_OF,
      discover: false,
      normalizeAt: now,
      tracking: { digest, salt: '' },
    });
    const latin = (text: string, charset: string): ParseInput => ({
      kind: 'bytes',
      body: Uint8Array.from(text, (ch) => ch.charCodeAt(0)),
      contentType: `application/rss+xml; charset=${charset}`,
    });
    const digestOf = async (input: ParseInput) => {
      const outcome = await parseDocument(job(input, null));
      if (outcome.kind !== 'normalized' || !outcome.tracked) throw new Error(`expected a tracked read, got ${outcome.kind}`);
      return writeItemDigest(outcome.tracked.context, outcome.tracked.entries);
    };
    // Read as latin1, then the server's charset is fixed: the same bytes are other text, so every item is read again.
    const asLatin1 = await digestOf(latin(doc(0, 20), 'iso-8859-1'));
    const recoded = await parseDocument(job(latin(doc(0, 21), 'koi8-r'), asLatin1));
    expect(recoded.kind === 'normalized' && recoded.items.length).toBe(21);
    const wholeRecoded = await parseDocument(job(latin(doc(0, 21), 'koi8-r'), null));
    expect(recoded.kind === 'normalized' && recoded.items).toEqual(wholeRecoded.kind === 'normalized' && wholeRecoded.items);
    expect(recoded.kind === 'normalized' && recoded.items[1]!.title).not.toBe('Column 19: café à la carte');
    // The same encoding again: one new item read.
    const again = await parseDocument(job(latin(doc(0, 21), 'iso-8859-1'), asLatin1));
    expect(again.kind === 'normalized' && again.items.map((parsed) => parsed.title)).toEqual(['Column 20: café à la carte']);
    // A digest of the text (hashes of repaired text) is not read as one of bytes.
    const ofText = await digestOf({ kind: 'text', text: doc(0, 20).replaceAll('\xe9', 'é').replaceAll('\xe0', 'à') });
    const fromBytes = await parseDocument(
      job({ kind: 'bytes', body: Buffer.from(doc(0, 21).replaceAll('\xe9', 'é').replaceAll('\xe0', 'à')), contentType: null }, ofText),
    );
    expect(fromBytes.kind === 'normalized' && fromBytes.items.length).toBe(21);
  });

  it('keeps the byte hashes of a document read whole, so the next one is cut by them, whatever the mending', async () => {
    const item = (n: number) =>
      `<item><title>Column ${n}: l’été &nbsp;&eacute;t&eacute; & more</title><link>https://c.example/${n}</link><description>a\u0001b &hellip;</description></item>`;
    const doc = (from: number, to: number, declaration: string) =>
      `${declaration}<rss version="2.0"><channel><title>T</title>${Array.from({ length: to - from }, (_, i) => item(to - 1 - i)).join('')}</channel></rss>`;
    const now = new Date('2026-01-01T00:00:00Z');
    for (const [declaration, encode] of [
      ['<?xml version="1.0" encoding="utf-8"?>', (text: string) => Buffer.from(text)],
      ['<?xml version="1.0" encoding="windows-1252"?>', encodeWindows1252],
    ] as const) {
      const job = (text: string, digest: string | null) => ({
        input: { kind: 'bytes' as const, body: encode(text), contentType: 'application/rss+xml' },
        url: URL_OF,
        discover: true,
        normalizeAt: now,
        tracking: { digest, salt: '' },
      });
      const first = await parseDocument(job(doc(0, 50, declaration), null));
      if (first.kind !== 'normalized' || !first.tracked) throw new Error(`expected a tracked read, got ${first.kind}`);
      expect(first.items).toHaveLength(50);
      const digest = writeItemDigest(first.tracked.context, first.tracked.entries);
      const next = await parseDocument(job(doc(0, 51, declaration), digest));
      if (next.kind !== 'normalized' || !next.tracked) throw new Error(`expected a tracked read, got ${next.kind}`);
      expect(next.tracked.known).toHaveLength(50);
      // The new item, read from the cut, is the whole read's first.
      const whole = await parseDocument(job(doc(0, 51, declaration), null));
      expect(whole.kind === 'normalized' && whole.items.length).toBe(51);
      expect(next.items).toEqual(whole.kind === 'normalized' ? whole.items.slice(0, 1) : []);
      expect(next.items[0]!.title).toMatch(/^Column 50: l’été\s+été & more$/);
    }
  });

  it('reads a digest it did not write as none', () => {
    expect(readItemDigest(null)).toBeNull();
    expect(readItemDigest('')).toBeNull();
    expect(readItemDigest('v0\nctx\nabc i1')).toBeNull();
    expect(readItemDigest('garbage')).toBeNull();
    const item = { itemId: 'g', canonicalUrl: 'https://x.example/a', titleKey: null } as Parameters<typeof identitiesOf>[0];
    const entry = { raw: 'r1', identities: identitiesOf(item) };
    expect(readItemDigest(writeItemDigest('ctx', [entry]))).toEqual({ context: 'ctx', entries: new Map([['r1', entry.identities]]) });
    expect(sharesIdentity([entry], [{ raw: 'r2', identities: identitiesOf({ ...item, itemId: 'other' }) }])).toBe(true);
    expect(sharesIdentity([entry], [{ raw: 'r2', identities: identitiesOf({ ...item, itemId: 'other', canonicalUrl: null }) }])).toBe(
      false,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Generated documents

const TRICKY_TEXT = [
  'plain words',
  '<![CDATA[ </item> <item> </entry> <entry> ]]>',
  '<!-- </item><item> -->',
  '&lt;item&gt; escaped &amp; more',
  'Ünïcödé — “quotes” 🙂',
  '<?pi </item> ?>',
  '&amp;amp; &#233; &#x1F600;',
];

/** Up to three pieces of tricky text (and of `extra`, when given). */
function trickyText(random: () => number, extra: readonly string[] = []): string {
  return Array.from({ length: intBetween(random, 0, 3) }, () => pick(random, [...TRICKY_TEXT, ...extra])).join(' ');
}

/** One RSS item's children: titles, links (relative and absolute), guids, odd nested elements. */
function rssItemBody(random: () => number, n: number, extra: readonly string[]): string {
  const parts = [
    `<title>${pick(random, ['Column', 'Opinion', 'Letters from abroad'])} ${n % 7} ${trickyText(random, extra)}</title>`,
    random() < 0.8
      ? `<link>${random() < 0.5 ? `/c/${n % 9}.html` : `https://columns.example/c/${n % 11}?utm_source=x&amp;id=${n}`}</link>`
      : '',
    random() < 0.6 ? `<guid isPermaLink="false">g-${n % 13}</guid>` : '',
    random() < 0.5 ? `<description>${trickyText(random, extra)}</description>` : '',
    random() < 0.3 ? `<dc:creator>Author ${n % 4}</dc:creator>` : '',
    random() < 0.3 ? `<pubDate>Sun, 0${1 + (n % 9)} Jun 2025 08:00:00 GMT</pubDate>` : '',
    random() < 0.2 ? `<media:group><item>nested</item><entry>also</entry></media:group>` : '',
    random() < 0.2 ? `<category domain="a>b" label='</item>'>news</category>` : '',
  ];
  return parts.join(random() < 0.5 ? '\n  ' : '');
}

function generatedFeed(random: () => number, doc: number, extra: readonly string[] = []): string {
  const format = pick(random, ['rss2', 'rss1', 'atom', 'json'] as const);
  const count = intBetween(random, 0, 12);
  const gap = () => pick(random, ['', '\n', ' <!-- between --> ', '<?pi x?>', '\n\t']);
  if (format === 'json') {
    const items = Array.from({ length: count }, (_, n) => ({
      id: random() < 0.7 ? `j-${n % 6}` : undefined,
      title: `JSON column ${n % 5} ${trickyText(random, extra)}`,
      url: random() < 0.5 ? `/j/${n % 7}` : `https://columns.example/j/${n}`,
      content_html: trickyText(random, extra),
    }));
    return JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      title: `Doc ${doc}`,
      items,
      ...(random() < 0.3 ? { authors: [{ name: 'Feed Person' }] } : {}),
    });
  }
  if (format === 'atom') {
    const entry = (n: number) =>
      random() < 0.05
        ? '<entry/>'
        : `<entry${random() < 0.2 ? ` xml:base="https://base${n % 3}.example/"` : ''}><title type="${pick(random, ['text', 'html'])}">Entry ${n % 6} ${trickyText(random, extra)}</title>` +
          `<id>tag:x,2025:${n % 8}</id><link href="/e/${n % 5}" rel="alternate"/>` +
          (random() < 0.3 ? '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x <b>y</b></p></div></content>' : '') +
          (random() < 0.2 ? '<author><name>Entry Author</name></author>' : '') +
          `<updated>2025-06-0${1 + (n % 9)}T00:00:00Z</updated></entry>`;
    const entries = Array.from({ length: count }, (_, n) => gap() + entry(n)).join('');
    const head = random() < 0.3 ? '<author><name>Feed Author</name></author>' : '';
    const base = random() < 0.3 ? ' xml:base="https://atom-base.example/dir/"' : '';
    return `<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"${base}><title>Doc ${doc}</title>${head}${entries}${gap()}<link href="/"/></feed>`;
  }
  const item = (n: number) =>
    random() < 0.05 ? '<item/>' : `<item${random() < 0.2 ? ` rdf:about="x>${n}"` : ''}>${rssItemBody(random, n, extra)}</item>`;
  const items = Array.from({ length: count }, (_, n) => gap() + item(n)).join('');
  const channelHead = `<title>Doc ${doc}</title><link>https://columns.example/</link>${random() < 0.3 ? '<dc:creator>Channel Person</dc:creator>' : ''}`;
  const ns =
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"';
  if (format === 'rss1') {
    return `<?xml version="1.0"?><rdf:RDF xmlns="http://purl.org/rss/1.0/" ${ns}><channel>${channelHead}</channel>${items}${gap()}</rdf:RDF>`;
  }
  // Sometimes an item outside the channel (not read as an item) and a stray tail element.
  const outside = random() < 0.1 ? '<item><title>outside the channel</title></item>' : '';
  const base = random() < 0.2 ? ' xml:base="https://rss-base.example/a/"' : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" ${ns}><channel${base}>${channelHead}${items}${gap()}<ttl>60</ttl></channel>${outside}</rss>`;
}
