/**
 * Feed dates in the wild: RFC 822 (RSS 2.0) with zone names JavaScript does not know or no
 * zone at all, month names in the feed's language, RFC 3339 (Atom, JSON Feed) and ISO-like
 * stamps with a short offset or none. A stamp without a zone is UTC, whatever the server's.
 */
import { LOCAL_MONTHS } from './month-names.ts';

// RFC 822 §5.1 knows UT/GMT/EST/EDT/CST/CDT/MST/MDT/PST/PDT; feeds use more. Every name is
// mapped here, so a name JavaScript half-knows is never read in the server's own zone.
const ZONE_OFFSETS: Record<string, string> = {
  UT: '+0000',
  UTC: '+0000',
  GMT: '+0000',
  Z: '+0000',
  EST: '-0500',
  EDT: '-0400',
  CST: '-0600',
  CDT: '-0500',
  MST: '-0700',
  MDT: '-0600',
  PST: '-0800',
  PDT: '-0700',
  WET: '+0000',
  WEST: '+0100',
  BST: '+0100',
  CET: '+0100',
  CEST: '+0200',
  MET: '+0100',
  MEST: '+0200',
  MEZ: '+0100',
  MESZ: '+0200',
  EET: '+0200',
  EEST: '+0300',
  MSK: '+0300',
  IST: '+0530',
  SGT: '+0800',
  HKT: '+0800',
  JST: '+0900',
  KST: '+0900',
  AEST: '+1000',
  AEDT: '+1100',
  ACST: '+0930',
  AWST: '+0800',
  NZST: '+1200',
  NZDT: '+1300',
  AST: '-0400',
  ADT: '-0300',
  NST: '-0330',
  NDT: '-0230',
  AKST: '-0900',
  AKDT: '-0800',
  HST: '-1000',
  BRT: '-0300',
  ART: '-0300',
};
const ZONE_NAME = /\b([A-Z]{1,4})$/;
// An offset ending the stamp (GMT+2, +0200, -05:00), before an optional "(CEST)" comment.
const ENDS_WITH_OFFSET = /(?:^|[\s\d])(?:GMT|UTC?)?[+-]\d{1,2}(?::?\d{2})?(?:\s*\([^)]*\))?$/;
const ISO = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?|[A-Z]{2,4})?)?$/i;
const ENGLISH_MONTH =
  /\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b/i;
// A year: four digits, or RFC 822's two after a day and a month ("1 Jun 25").
const YEAR = /\b\d{4}\b|\b\d{1,2}[\s-][A-Za-z]+\.?[\s-]\d{2}\b/;
const EARLIEST = Date.UTC(1990, 0, 1);
const LATEST = Date.UTC(2200, 0, 1);

/** Parses a feed date to a UTC Date; null when absent or unreadable, never throws. */
export function parseDate(raw: string | null | undefined): Date | null {
  const text = raw?.trim().replace(/\s+/g, ' ');
  if (!text) return null;
  const normalized = normalizeDate(text);
  const time = normalized === null ? NaN : Date.parse(normalized);
  if (Number.isNaN(time) || time < EARLIEST || time > LATEST) return null;
  return new Date(time);
}

/** The stamp in a form Date.parse reads the same in every time zone, or null when it is no date. */
function normalizeDate(text: string): string | null {
  // W3C-DTF's reduced precision (dc:date "2025" or "2025-06"): ISO forms Date.parse reads as UTC.
  if (/^\d{4}(?:-\d{2})?$/.test(text)) return text;
  const iso = ISO.exec(text);
  if (iso) {
    const [, year, month, day, time = '00:00', offset] = iso;
    return `${year}-${month!.padStart(2, '0')}-${day!.padStart(2, '0')}T${time.replace(/^\d:/, '0$&').replace(',', '.')}${isoOffset(offset)}`;
  }
  // Else a month must be named and a year given: Date.parse makes 2001-12-01 of "Issue 12" and
  // 2042 of "Episode 42", and reads "01/06/2025" as January in every country.
  const english = translateMonths(text).replace(/^[\p{L}]+\.?,\s*/u, ''); // the weekday says nothing
  if (!ENGLISH_MONTH.test(english) || !YEAR.test(english)) return null;
  if (ENDS_WITH_OFFSET.test(english)) return english;
  const zone = ZONE_NAME.exec(english)?.[1];
  if (zone && ZONE_OFFSETS[zone]) return english.slice(0, -zone.length).trimEnd() + ' ' + ZONE_OFFSETS[zone];
  // An unknown zone name ("Europe/Paris", "A") is refused by Date.parse; no zone at all is UTC
  // (Date.parse would take the server's zone).
  return zone ? english : `${english} GMT`;
}

/** An ISO stamp's offset as Date.parse reads it: "+02" → "+02:00", a zone name ("2025-06-01 10:00:00 UTC", as MySQL prints) → its offset. */
function isoOffset(offset: string | undefined): string {
  if (!offset || offset.toUpperCase() === 'Z') return 'Z';
  if (/^[A-Z]/i.test(offset)) {
    const named = ZONE_OFFSETS[offset.toUpperCase()];
    // An unknown name makes no date, not a date in the server's zone.
    return named ? `${named.slice(0, 3)}:${named.slice(3)}` : 'unknown zone';
  }
  return offset.length === 3 ? `${offset}:00` : offset;
}

/** Month names in other languages ("Mär", "juin", "dic.") as their English abbreviation. */
function translateMonths(text: string): string {
  if (!/[^\x20-\x7e]|[a-z]{3}/i.test(text)) return text;
  return text.replace(/[\p{L}]+/gu, (word) => LOCAL_MONTHS.get(word.toLowerCase()) ?? word);
}
