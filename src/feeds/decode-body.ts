/**
 * Turns a response body into text before parsing. Order of authority, as XML 1.0 Appendix F
 * and browsers do it: a byte-order mark, then the XML declaration's encoding, then the
 * Content-Type charset (RFC 7303 gives the header priority, but real servers often send a
 * default charset that contradicts a correct declaration), then UTF-8, and when the bytes are
 * not valid UTF-8, windows-1252 (what browsers and feedparser fall back to: undeclared Latin-1
 * served as application/xml would otherwise come out full of U+FFFD).
 */

const XML_DECLARATION_ENCODING = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/;
const CONTENT_TYPE_CHARSET = /charset\s*=\s*["']?([A-Za-z0-9._:-]+)/i;

/** Decodes raw body bytes to a string, honouring BOM, XML declaration and Content-Type; never throws. */
export function decodeBody(bytes: Uint8Array, contentType: string | null): string {
  const bom = sniffBom(bytes);
  if (bom) return decodeWith(bom.encoding, bytes.subarray(bom.length));
  const declared = sniffXmlDeclaration(bytes) ?? sniffContentType(contentType);
  return stripBom(declared ? decodeWith(declared, bytes) : decodeUndeclared(bytes));
}

// Made once: a TextDecoder costs more to make than a feed costs to decode.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUndeclared(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return decodeWith('windows-1252', bytes);
  }
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
  return new TextDecoder(encoding).decode(bytes);
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
