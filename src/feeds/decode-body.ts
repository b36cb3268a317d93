/**
 * Turns a response body into text before parsing. Order of authority, as XML 1.0 Appendix F
 * and browsers do it: a byte-order mark, then the XML declaration's encoding, then the
 * Content-Type charset (RFC 7303 gives the header priority, but real servers often send a
 * default charset that contradicts a correct declaration), then UTF-8.
 */

const XML_DECLARATION_ENCODING = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/;
const CONTENT_TYPE_CHARSET = /charset\s*=\s*["']?([A-Za-z0-9._:-]+)/i;

/** Decodes raw body bytes to a string, honouring BOM, XML declaration and Content-Type; never throws. */
export function decodeBody(bytes: Uint8Array, contentType: string | null): string {
  const bom = sniffBom(bytes);
  if (bom) return decodeWith(bom.encoding, bytes.subarray(bom.length));
  const declared = sniffXmlDeclaration(bytes) ?? sniffContentType(contentType);
  return stripBom(decodeWith(declared ?? 'utf-8', bytes));
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

function decodeWith(encoding: string, bytes: Uint8Array): string {
  return new TextDecoder(encoding).decode(bytes);
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
