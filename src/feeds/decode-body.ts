/**
 * Turns a response body into text before parsing. Order of authority, as XML 1.0 Appendix F
 * and browsers do it: a byte-order mark, then the XML declaration's encoding, then the
 * Content-Type charset (RFC 7303 gives the header priority, but real servers often send a
 * default charset that contradicts a correct declaration), then UTF-8, and when the bytes are
 * not valid UTF-8, windows-1252 (what browsers and feedparser fall back to: undeclared Latin-1
 * served as application/xml would otherwise come out full of U+FFFD).
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
  const declared = sniffXmlDeclaration(bytes) ?? sniffContentType(contentType);
  return { encoding: declared ?? (isUtf8(bytes) ? 'utf-8' : 'windows-1252'), bomLength: 0 };
}

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

function sniffXmlDeclaration(bytes: Uint8Array): string | null {
  // UTF-16 without a BOM: "<?" as 3C 00 3F 00 (LE) or 00 3C 00 3F (BE).
  if (bytes[0] === 0x3c && bytes[1] === 0x00 && bytes[2] === 0x3f) return 'utf-16le';
  if (bytes[0] === 0x00 && bytes[1] === 0x3c && bytes[2] === 0x00) return 'utf-16be';
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
  // Node 20.18+'s TextDecoder decodes windows-1252 (which every "iso-8859-1"/"latin1"/"ascii"
  // label means, per WHATWG) as plain latin1, turning “quotes” and € into C1 controls
  // (nodejs/node#60888); map that range by hand.
  if (encoding === 'windows-1252') {
    return Buffer.from(bytes)
      .toString('latin1')
      .replace(C1_CONTROLS, (ch) => WINDOWS_1252_HIGH[ch.charCodeAt(0) - 0x80]!);
  }
  let decoder = decoders.get(encoding);
  // Made once per encoding: a TextDecoder costs more to make than a feed costs to decode.
  if (!decoder) decoders.set(encoding, (decoder = new TextDecoder(encoding)));
  return decoder.decode(bytes);
}

const decoders = new Map<string, TextDecoder>();

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
