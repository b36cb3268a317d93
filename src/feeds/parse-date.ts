/**
 * Feed dates in the wild: RFC 822 (RSS 2.0) with zone names JavaScript does not know,
 * RFC 3339 (Atom, JSON Feed), and ISO-like stamps without a zone, read here as UTC.
 */

// RFC 822 §5.1 knows UT/GMT/EST/EDT/CST/CDT/MST/MDT/PST/PDT (as does Date.parse); feeds use more.
const ZONE_OFFSETS: Record<string, string> = {
  UTC: '+0000',
  WET: '+0000',
  WEST: '+0100',
  BST: '+0100',
  CET: '+0100',
  CEST: '+0200',
  MET: '+0100',
  MEST: '+0200',
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
const ZONE_NAME = /\b([A-Z]{3,4})$/;
const ISO_WITHOUT_ZONE = /^(\d{4}-\d{2}-\d{2})[T ](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;
const EARLIEST = Date.UTC(1990, 0, 1);
const LATEST = Date.UTC(2200, 0, 1);

/** Parses a feed date to a UTC Date; null when absent or unreadable, never throws. */
export function parseDate(raw: string | null | undefined): Date | null {
  const text = raw?.trim().replace(/\s+/g, ' ');
  if (!text) return null;
  const time = Date.parse(normalizeDate(text));
  if (Number.isNaN(time) || time < EARLIEST || time > LATEST) return null;
  return new Date(time);
}

function normalizeDate(text: string): string {
  const iso = ISO_WITHOUT_ZONE.exec(text);
  if (iso) return `${iso[1]}T${iso[2]!.padStart(5, '0')}Z`;
  const zone = ZONE_NAME.exec(text)?.[1];
  if (zone && ZONE_OFFSETS[zone]) return text.slice(0, -zone.length) + ZONE_OFFSETS[zone];
  // "Tues, 3 Sep 2024 ..." and other weekday spellings: the weekday carries no information.
  return text.replace(/^[A-Za-z]+\.?,\s*/, '');
}
