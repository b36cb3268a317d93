/**
 * Turns a response body into text before parsing. Order of authority, as XML 1.0 Appendix F
 * and browsers do it: a byte-order mark, then the XML declaration's encoding, then the
 * Content-Type charset (RFC 7303 gives the header priority, but real servers often send a
 * default charset that contradicts a correct declaration), then UTF-8, and when the bytes are
 * not valid UTF-8, windows-1252 (what browsers and feedparser fall back to: undeclared Latin-1
 * served as application/xml would otherwise come out full of U+FFFD).
 *
 * The bytes overrule a label that cannot be true of them. Valid UTF-8 holding non-ASCII text is
 * UTF-8 whatever a declaration or header says (legacy text is practically never valid UTF-8:
 * what the label makes of it is mojibake, "CafÃ©"; JSON is UTF-8 anyway, RFC 8259 §8.1). Bytes
 * said to be UTF-8 that are not are read as the Content-Type's other charset when it names one
 * (a template's stale declaration over a server that knows), else as windows-1252; and a
 * document of UTF-8 with a few stray Latin-1 bytes (one pasted paragraph) keeps its UTF-8,
 * each stray byte read as windows-1252, instead of turning every accent into mojibake or U+FFFD.
 */

import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

const XML_DECLARATION_ENCODING = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/;
const CONTENT_TYPE_CHARSET = /charset\s*=\s*["']?([A-Za-z0-9._:-]+)/i;

/** How a body decodes: its encoding (a WHATWG name) and the byte-order mark to skip. */
export interface BodyEncoding {
  encoding: string;
  bomLength: number;
}

/** Decodes raw body bytes to a string, honouring BOM, XML declaration and Content-Type; never throws. */
export function decodeBody(bytes: Uint8Array, contentType: string | null): string {
  const { encoding, bomLength } = bodyEncoding(bytes, contentType);
  return decodeText(encoding, bytes.subarray(bomLength));
}

/** The encoding decodeBody reads `bytes` in. */
export function bodyEncoding(bytes: Uint8Array, contentType: string | null): BodyEncoding {
  const bom = sniffBom(bytes);
  if (bom) return { encoding: bom.encoding, bomLength: bom.length };
  const utf16 = sniffUtf16(bytes);
  if (utf16) return { encoding: utf16, bomLength: 0 };
  const declared = sniffXmlDeclaration(bytes);
  const header = sniffContentType(contentType);
  const named = declared ?? header;
  if (named !== null && named !== 'utf-8') {
    return { encoding: isUtf8(bytes) && !isAscii(bytes) ? 'utf-8' : named, bomLength: 0 };
  }
  if (isUtf8(bytes)) return { encoding: 'utf-8', bomLength: 0 };
  const { sequences, strays } = countUtf8(bytes);
  if (sequences > strays) return { encoding: UTF8_WITH_STRAYS, bomLength: 0 };
  return { encoding: header !== null && header !== 'utf-8' ? header : 'windows-1252', bomLength: 0 };
}

/** UTF-8 whose invalid bytes are each read as windows-1252: a name of ours, not a WHATWG label. */
export const UTF8_WITH_STRAYS = 'utf-8+windows-1252';

/**
 * Whether every byte below 0x80 of `bytes` is that ASCII character wherever it stands, and a
 * piece cut out at ASCII markup decodes as that piece of the whole text: UTF-8 that is valid,
 * and the single-byte encodings. Then markup can be found in the bytes before decoding them.
 */
export function isAsciiTransparent(encoding: string, bytes: Uint8Array): boolean {
  if (encoding === 'utf-8') return isUtf8(bytes);
  return SINGLE_BYTE.test(encoding);
}

const SINGLE_BYTE = /^(windows-125\d|iso-8859-\d+|koi8-[ru]|ibm866|macintosh|x-mac-cyrillic)$/;

/** `bytes` (a body past its byte-order mark, or the start of one) decoded from `encoding`, as decodeBody does. */
export function decodeText(encoding: string, bytes: Uint8Array): string {
  return stripBom(decodeWith(encoding, bytes));
}

function sniffBom(bytes: Uint8Array): { encoding: string; length: number } | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return null;
}

/** UTF-16 without a BOM: "<?" as 3C 00 3F 00 (LE) or 00 3C 00 3F (BE). */
function sniffUtf16(bytes: Uint8Array): string | null {
  if (bytes[0] === 0x3c && bytes[1] === 0x00 && bytes[2] === 0x3f) return 'utf-16le';
  if (bytes[0] === 0x00 && bytes[1] === 0x3c && bytes[2] === 0x00) return 'utf-16be';
  return null;
}

function sniffXmlDeclaration(bytes: Uint8Array): string | null {
  // The declaration is ASCII in every ASCII-compatible encoding; latin1 reads it byte for byte.
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1').trimStart();
  const label = XML_DECLARATION_ENCODING.exec(head)?.[1];
  if (!label) return null;
  // A document that reached us as bytes cannot really be UTF-16 without a BOM or the
  // zero bytes above; "UTF-16" declared on single-byte text is a common lie.
  if (/^utf-?16/i.test(label)) return 'utf-8';
  return supported(label);
}

function sniffContentType(contentType: string | null): string | null {
  const label = contentType ? CONTENT_TYPE_CHARSET.exec(contentType)?.[1] : undefined;
  // UTF-16 text starts with a BOM or a zero byte beside its `<` (sniffed before this): a body
  // without either is 8-bit text, however the server labels it, as with a declaration.
  if (label && /^utf-?16/i.test(label)) return 'utf-8';
  return label ? supported(label) : null;
}

function supported(label: string): string | null {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return null;
  }
}

// windows-1252 bytes 0x80–0x9F (WHATWG Encoding, index-windows-1252); undefined ones stay C1.
const WINDOWS_1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';
const C1_CONTROLS = /[\u0080-\u009F]/g;

function decodeWith(encoding: string, bytes: Uint8Array): string {
  if (encoding === UTF8_WITH_STRAYS) return decodeUtf8WithStrays(bytes);
  // Node 20.18+'s TextDecoder decodes windows-1252 (which every "iso-8859-1"/"latin1"/"ascii"
  // label means, per WHATWG) as plain latin1, turning “quotes” and € into C1 controls
  // (nodejs/node#60888); map that range by hand.
  if (encoding === 'windows-1252') {
    return Buffer.from(bytes)
      .toString('latin1')
      .replace(C1_CONTROLS, (ch) => windows1252(ch.charCodeAt(0)));
  }
  let decoder = decoders.get(encoding);
  // Made once per encoding: a TextDecoder costs more to make than a feed costs to decode.
  if (!decoder) decoders.set(encoding, (decoder = new TextDecoder(encoding)));
  return decoder.decode(bytes);
}

const decoders = new Map<string, TextDecoder>();

/** The character windows-1252 gives `byte`; for 0x80–0x9F, what HTML makes of `&#146;` too (WHATWG HTML §13.2.5.80). */
export function windows1252(byte: number): string {
  return byte >= 0x80 && byte <= 0x9f ? WINDOWS_1252_HIGH[byte - 0x80]! : String.fromCharCode(byte);
}

function isAscii(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte >= 0x80) return false;
  return true;
}

/** How many valid multi-byte UTF-8 sequences `bytes` holds, and how many bytes belong to none. */
function countUtf8(bytes: Uint8Array): { sequences: number; strays: number } {
  let sequences = 0;
  let strays = 0;
  for (let at = 0; at < bytes.length;) {
    if (bytes[at]! < 0x80) {
      at++;
      continue;
    }
    const length = utf8SequenceLength(bytes, at);
    if (length === 0) strays++;
    else sequences++;
    at += length || 1;
  }
  return { sequences, strays };
}

function decodeUtf8WithStrays(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text = '';
  let runStart = 0;
  for (let at = 0; at < bytes.length;) {
    const length = bytes[at]! < 0x80 ? 1 : utf8SequenceLength(bytes, at);
    if (length > 0) {
      at += length;
      continue;
    }
    text += buffer.toString('utf8', runStart, at) + windows1252(bytes[at]!);
    runStart = ++at;
  }
  return text + buffer.toString('utf8', runStart);
}

/** The length of the valid UTF-8 sequence of two to four bytes starting at `at` (RFC 3629 §4), or 0. */
function utf8SequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at]!;
  let length: number;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) length = 3;
  else if (lead >= 0xf0 && lead <= 0xf4) length = 4;
  else return 0;
  if (at + length > bytes.length) return 0;
  // The second byte's range rules out overlong forms, surrogates and code points past U+10FFFF.
  const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
  const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
  const second = bytes[at + 1]!;
  if (second < low || second > high) return 0;
  for (let next = at + 2; next < at + length; next++) if ((bytes[next]! & 0xc0) !== 0x80) return 0;
  return length;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
