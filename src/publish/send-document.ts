/**
 * Sends a published document the way feed readers and caches expect: content negotiation
 * for gzip/br, strong ETags and Last-Modified, 304 on If-None-Match / If-Modified-Since
 * (RFC 9110 §13), Cache-Control, Vary, and HEAD without a body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Encoding, PublishedDocument } from './published-feeds.ts';

/** Writes `document` as the response to `req`, or a 304 when the client's copy is current. */
export async function sendDocument(
  req: IncomingMessage,
  res: ServerResponse,
  document: PublishedDocument,
  maxAgeSeconds: number,
  now: Date = new Date(),
): Promise<void> {
  const encoding = chooseEncoding(req.headers['accept-encoding']);
  const etag = document.etag(encoding);
  const headers: Record<string, string> = {
    'content-type': document.contentType,
    etag,
    ...(document.lastModified ? { 'last-modified': document.lastModified.toUTCString() } : {}),
    'cache-control': `public, max-age=${maxAgeSeconds}`,
    vary: 'Accept-Encoding',
  };
  if (isNotModified(req, document, etag, now)) {
    res.writeHead(304, headers).end();
    return;
  }
  // A 200 to a client that sent a date not before ours: it holds other bytes (its ETag did not
  // match, or its date is ahead of our clock) dated no earlier than these, which another process
  // or this one before a restart built in an earlier second, or with a clock behind. libcurl's
  // time condition (newsboat, `curl -z`) drops a 200 whose Last-Modified is not after its date,
  // yet newsboat keeps the new ETag, and would never see these bytes. Without a Last-Modified
  // the 200 is taken (RFC 9110 §8.8.2 lets an origin send none).
  const since = parseHttpDate(req.headers['if-modified-since'] ?? '', now);
  if (document.lastModified && since !== null && document.lastModified.getTime() <= since) delete headers['last-modified'];
  const body = await document.body(encoding);
  if (encoding !== 'identity') headers['content-encoding'] = encoding;
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** br, then gzip, then identity, honouring q=0 (RFC 9110 §12.5.3). */
export function chooseEncoding(header: string | undefined): Encoding {
  if (!header) return 'identity';
  const accepted = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((param) => /^\s*q=([\d.]+)/.exec(param)?.[1]).find((value) => value !== undefined);
    if (name) accepted.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const weight = (name: string) => accepted.get(name) ?? accepted.get('*') ?? 0;
  if (weight('br') > 0) return 'br';
  if (weight('gzip') > 0 || weight('x-gzip') > 0) return 'gzip';
  return 'identity';
}

function isNotModified(req: IncomingMessage, document: PublishedDocument, etag: string, now: Date): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    // Weak comparison (§13.1.2); any representation of this document counts (a proxy may
    // have stored the gzip variant and ask with its tag).
    const ours = etag.replace(/-(gzip|br)"$/, '"');
    return ifNoneMatch.split(',').some((tag) => {
      const value = tag.trim().replace(/^W\//, '');
      return value === '*' || value.replace(/-(gzip|br)"$/, '"') === ours;
    });
  }
  // RFC 9110 §13.1.3: a value that is no HTTP-date is ignored, and so is a date later than now
  // (a client or cache clock ahead): every Last-Modified we send is at or before now, so such a
  // date would make a 304 of any change.
  const since = parseHttpDate(req.headers['if-modified-since'] ?? '', now);
  return document.lastModified !== null && since !== null && since <= now.getTime() && document.lastModified.getTime() <= since;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const IMF_FIXDATE = /^[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE = /^[A-Z][a-z]+, (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms) in
 * milliseconds; null for anything else. Date.parse is no judge: it reads "2027" or "99999" as
 * years, and asctime in the server's own time zone.
 */
export function parseHttpDate(value: string, now: Date): number | null {
  const text = value.trim();
  let parts: [day: string, month: string, year: number, hour: string, minute: string, second: string] | null = null;
  let match = IMF_FIXDATE.exec(text);
  if (match) parts = [match[1]!, match[2]!, Number(match[3]), match[4]!, match[5]!, match[6]!];
  else if ((match = RFC850_DATE.exec(text))) {
    // §5.6.7: a two-digit year more than 50 years in the future is the most recent past year with those digits.
    const year = 2000 + Number(match[3]);
    parts = [match[1]!, match[2]!, year > now.getUTCFullYear() + 50 ? year - 100 : year, match[4]!, match[5]!, match[6]!];
  } else if ((match = ASCTIME_DATE.exec(text))) parts = [match[2]!.trim(), match[1]!, Number(match[6]), match[3]!, match[4]!, match[5]!];
  if (!parts) return null;
  const [day, month, year, hour, minute, second] = parts;
  const monthIndex = MONTHS.indexOf(month);
  if (monthIndex === -1) return null;
  const time = Date.UTC(year, monthIndex, Number(day), Number(hour), Number(minute), Number(second));
  // 31 Feb or 25:00 roll over in Date.UTC: such a date is no date.
  const date = new Date(time);
  return date.getUTCDate() === Number(day) && date.getUTCHours() === Number(hour) && Number(second) < 60 && Number(minute) < 60
    ? time
    : null;
}
