/**
 * One recipient as feeds.yaml may write it: a bare address (`jane@example.com`) or an
 * RFC 5322 §3.4 name-addr (`Jane Doe <jane@example.com>`, `"Doe, Jane" <jane@example.com>`).
 * The bare address is the recipient's identity (Message-IDs, unsubscribe tokens); the
 * display name only goes in the To header. Also the one rule for a subscriber's display name,
 * shared by the sign-up form, `subscribers add --name` and `subscribers import`. Pure.
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { UNPRINTABLE_CLASS } from '../support/unprintable.ts';

export interface Mailbox {
  address: string;
  /** The display name, unquoted; null for a bare address. */
  name: string | null;
}

/** RFC 5321 §4.5.3.1: 64 octets for the local part, 254 for a whole address that fits a path. */
export const MAX_LOCAL_OCTETS = 64;
export const MAX_ADDRESS_OCTETS = 254;
/** A display name's length, in characters (code points). */
export const MAX_NAME_CHARS = 200;

// Deliberately narrower than RFC 5321's local part: no quoted local parts, no spaces, no control
// or bidi-override characters (PostgreSQL refuses NUL; the rest fool terminals), a dot in the domain.
const ATOM = String.raw`[^\s${UNPRINTABLE_CLASS}@<>,;"()[\]\\]+`;
const ADDRESS = new RegExp(`^${ATOM}@${ATOM}\\.${ATOM}$`, 'u');
// A sender may be local to the machine (the default, columnwire@localhost): no dot required.
const LOCAL_ADDRESS = new RegExp(`^${ATOM}@${ATOM}$`, 'u');
const NAME_ADDR = /^(.*?)\s*<([^<>]*)>$/s;
// A display name is one header line: control characters (CR, LF above all) would forge headers.
const CONTROL = /\p{Cc}/u;
// Left out of names: C0, DEL and C1 controls, and the bidi embeddings, overrides and isolates
// (Unicode TR9) that make a name read backwards in a table. Whitespace becomes a space first.
const DROPPED = new RegExp(`[${UNPRINTABLE_CLASS}]`, 'gu');
const UNPRINTABLE = new RegExp(`[${UNPRINTABLE_CLASS}]`, 'u');

/** Parses one recipient; null when it is neither an address nor `Name <address>`. */
export function parseMailbox(input: string): Mailbox | null {
  return readMailbox(input, isAddress);
}

/**
 * Parses mail.from: one mailbox as parseMailbox reads it, except that the domain may be a
 * machine's own name without a dot (`columnwire@localhost`, the default); null otherwise.
 */
export function parseSender(input: string): Mailbox | null {
  const acceptsAddress = (text: string) => LOCAL_ADDRESS.test(text) && fitsSizes(text);
  // RFC 5322 §4.4's obsolete `addr (Name)`, which older configs and mail tools still write.
  const commented = ADDRESS_WITH_COMMENT.exec(input.trim());
  if (commented && acceptsAddress(commented[1]!) && !CONTROL.test(commented[2]!)) {
    return { address: commented[1]!, name: commented[2]!.trim() || null };
  }
  return readMailbox(input, acceptsAddress);
}

const ADDRESS_WITH_COMMENT = /^([^\s()<>]+)\s*\(([^()]*)\)$/;

function readMailbox(input: string, acceptsAddress: (text: string) => boolean): Mailbox | null {
  const text = input.trim();
  const match = NAME_ADDR.exec(text);
  if (match === null) return acceptsAddress(text) ? { address: text, name: null } : null;
  const address = match[2]!.trim();
  const name = unquote(match[1]!.trim());
  if (!acceptsAddress(address) || name === undefined || CONTROL.test(name)) return null;
  return { address, name: name === '' ? null : name };
}

/** Is `text` one address of the accepted shape, within RFC 5321's sizes? */
export function isAddress(text: string): boolean {
  return ADDRESS.test(text) && fitsSizes(text);
}

function fitsSizes(text: string): boolean {
  const local = text.slice(0, text.lastIndexOf('@'));
  return utf8Length(local) <= MAX_LOCAL_OCTETS && utf8Length(text) <= MAX_ADDRESS_OCTETS;
}

/** The UTF-8 bytes of `text`, counted without encoding it (an import checks a million addresses). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair
      index++;
    } else bytes += 3; // the rest of the BMP; a lone surrogate is encoded as U+FFFD, 3 bytes too
  }
  return bytes;
}

/**
 * The spellings of one mailbox: as given, then with its domain in the other of IDNA's two forms
 * (`bücher.example` and `xn--bcher-kva.example`, RFC 5890). A relay without SMTPUTF8 delivers
 * to the ASCII form, so its bounce report names that one whichever form a subscriber gave.
 */
export function addressSpellings(address: string): string[] {
  const at = address.lastIndexOf('@');
  if (at < 0) return [address];
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  const others = [domainToASCII(domain), domainToUnicode(domain)].filter((form) => form !== '').map((form) => `${local}@${form}`);
  return [...new Set([address, ...others])];
}

/** Why `input` is no address when that is not plain to see, as `; …` to follow "not an email address"; else ''. */
export function addressHint(input: string): string {
  const text = (NAME_ADDR.exec(input.trim())?.[2] ?? input).trim();
  if (UNPRINTABLE.test(text)) return '; it holds a control or bidi character';
  const at = text.lastIndexOf('@');
  if (at !== -1 && (utf8Length(text.slice(0, at)) > MAX_LOCAL_OCTETS || utf8Length(text) > MAX_ADDRESS_OCTETS))
    return `; longer than RFC 5321 allows (${MAX_LOCAL_OCTETS} bytes before the @, ${MAX_ADDRESS_OCTETS} in all)`;
  return '';
}

/**
 * A display name as kept: every run of whitespace (CR, LF and tab included) one space, other
 * control and bidi-override characters removed, trimmed, cut to MAX_NAME_CHARS characters
 * (never inside a surrogate pair); null when nothing is left. Applying it twice changes nothing,
 * so a name exported imports back as it was.
 */
export function normalizeName(raw: string): string | null {
  const folded = raw.replace(/\s/gu, ' ').replace(DROPPED, '').replace(/ {2,}/g, ' ').trim();
  const chars = Array.from(folded);
  const cut = chars.length > MAX_NAME_CHARS ? chars.slice(0, MAX_NAME_CHARS).join('').trimEnd() : folded;
  return cut === '' ? null : cut;
}

/** `"Doe, Jane"` → `Doe, Jane` (RFC 5322 §3.2.4 quoted-string); an unquoted name may not hold specials. */
function unquote(name: string): string | undefined {
  if (name.startsWith('"')) {
    const quoted = /^"((?:[^"\\]|\\.)*)"$/s.exec(name);
    return quoted ? quoted[1]!.replace(/\\(.)/gs, '$1') : undefined;
  }
  // Unquoted, a comma or angle bracket means two addresses or a typo, not one name.
  return /[<>",;@]/.test(name) ? undefined : name.replace(/\s+/g, ' ');
}
