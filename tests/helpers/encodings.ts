/** Text written in a legacy charset, for tests of decoding and of what is cut from bytes. */

// windows-1252 bytes 0x80–0x9F (WHATWG Encoding, index-windows-1252); undefined ones stay C1.
const WINDOWS_1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';

/** `text` as windows-1252 bytes: what windows-1252 cannot write becomes `?`. */
export function encodeWindows1252(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => {
    const mapped = WINDOWS_1252_HIGH.indexOf(ch);
    if (mapped !== -1) return 0x80 + mapped;
    const code = ch.charCodeAt(0);
    return code < 0x100 && (code < 0x80 || code > 0x9f) ? code : 0x3f;
  });
}
