/**
 * Reads a bounce: a delivery status notification (RFC 3464, `multipart/report;
 * report-type=delivery-status`) that a mail server sends back to the sender when a message it
 * accepted could not be delivered. Its `message/delivery-status` part lists each recipient
 * (Final-Recipient, Action, Status, Diagnostic-Code); a recipient that `failed` with a 5.x.x
 * status whose status or diagnostic is about the mailbox (5.1.x, 5.2.1, "user unknown") is a
 * hard bounce. Pure; linear in the size of the message.
 */
import { MAILBOX_REFUSAL } from './mailbox-refusal.ts';

export interface BouncedRecipient {
  /** The address as the report gives it, lower-cased. */
  address: string;
  /** failed, delayed, delivered, relayed or expanded (RFC 3464 §2.3.3). */
  action: string;
  /** The RFC 3463 status, such as 5.1.1. */
  status: string;
  /** The remote server's reply, when the report carries it. */
  diagnostic: string | null;
  /** A permanent failure about the mailbox: counts towards mail.bounceThreshold. */
  hard: boolean;
}

/** The most of a report read: a DSN's status part is a few KB, its quoted message need not be read. */
const MAX_REPORT_CHARS = 1024 * 1024;
const STATUS = /^[245]\.\d{1,3}\.\d{1,3}$/;

/** The recipients a delivery status notification reports on; null when `message` holds none. */
export function readBounce(message: string): BouncedRecipient[] | null {
  const part = deliveryStatusPart(message.slice(0, MAX_REPORT_CHARS));
  if (part === null) return null;
  const recipients: BouncedRecipient[] = [];
  // Blocks of fields separated by blank lines: the per-message block, then one per recipient.
  for (const block of part.split(/\r?\n[ \t]*\r?\n/)) {
    const fields = readFields(block);
    const address = addressOf(fields.get('final-recipient') ?? fields.get('original-recipient'));
    const action = fields.get('action')?.toLowerCase() ?? '';
    const status = (fields.get('status') ?? '').split(/\s/)[0] ?? '';
    if (address === null || !STATUS.test(status)) continue;
    const diagnostic = fields.get('diagnostic-code')?.replace(/^[^;]*;\s*/, '') ?? null;
    const permanent = action === 'failed' && status.startsWith('5.');
    const hard = permanent && (/^5\.1\.\d+$|^5\.2\.1$/.test(status) || MAILBOX_REFUSAL.test(diagnostic ?? ''));
    recipients.push({ address, action, status, diagnostic, hard });
  }
  return recipients.length > 0 ? recipients : null;
}

/** The body of the message/delivery-status part (decoded from base64 when so sent), or null. */
function deliveryStatusPart(message: string): string | null {
  const start = /^content-type:[ \t]*message\/(?:global-)?delivery-status\b/im.exec(message);
  if (!start) return null;
  const rest = message.slice(start.index);
  const headersEnd = /\r?\n[ \t]*\r?\n/.exec(rest);
  if (!headersEnd) return null;
  const headers = readFields(rest.slice(0, headersEnd.index));
  let body = rest.slice(headersEnd.index + headersEnd[0].length);
  const boundary = /^--\S/m.exec(body);
  if (boundary) body = body.slice(0, boundary.index);
  if (headers.get('content-transfer-encoding')?.toLowerCase() === 'base64') {
    body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return body;
}

/** Header-style fields (continuation lines unfolded), names lower-cased; the first of a name wins. */
function readFields(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last !== null) {
      fields.set(last, `${fields.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (fields.has(name)) {
      last = null;
      continue;
    }
    fields.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  return fields;
}

/** "rfc822; Jane@Example.com" (or "<jane@example.com>") → "jane@example.com"; null when no address. */
function addressOf(field: string | undefined): string | null {
  if (field === undefined) return null;
  const value = field.includes(';') ? field.slice(field.indexOf(';') + 1) : field;
  const address = value.trim().replace(/^<|>$/g, '').toLowerCase();
  return /^[^\s@<>]+@[^\s@<>]+$/.test(address) ? address : null;
}
