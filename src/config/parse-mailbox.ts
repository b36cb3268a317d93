/**
 * One recipient as feeds.yaml may write it: a bare address (`jane@example.com`) or an
 * RFC 5322 §3.4 name-addr (`Jane Doe <jane@example.com>`, `"Doe, Jane" <jane@example.com>`).
 * The bare address is the recipient's identity (Message-IDs, unsubscribe tokens); the
 * display name only goes in the To header. Pure.
 */

export interface Mailbox {
  address: string;
  /** The display name, unquoted; null for a bare address. */
  name: string | null;
}

// Deliberately narrower than RFC 5321's local part: no quoted local parts, no spaces, a dot in the domain.
const ADDRESS = /^[^\s@<>,;"()[\]\\]+@[^\s@<>,;"()[\]\\]+\.[^\s@<>,;"()[\]\\]+$/;
const NAME_ADDR = /^(.*?)\s*<([^<>]*)>$/s;
// A display name is one header line: control characters (CR, LF above all) would forge headers.
const CONTROL = /\p{Cc}/u;

/** Parses one recipient; null when it is neither an address nor `Name <address>`. */
export function parseMailbox(input: string): Mailbox | null {
  const text = input.trim();
  const match = NAME_ADDR.exec(text);
  if (match === null) return ADDRESS.test(text) ? { address: text, name: null } : null;
  const address = match[2]!.trim();
  const name = unquote(match[1]!.trim());
  if (!ADDRESS.test(address) || name === undefined || CONTROL.test(name)) return null;
  return { address, name: name === '' ? null : name };
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
