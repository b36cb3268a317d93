/**
 * Reads a bounce: a delivery status notification (RFC 3464, `multipart/report;
 * report-type=delivery-status`) that a mail server sends back to the sender when a message it
 * accepted could not be delivered. Its `message/delivery-status` part lists each recipient
 * (Original-Recipient, Final-Recipient, Action, Status, Diagnostic-Code); a recipient that
 * `failed` with a status about the mailbox (5.1.1, 5.1.2, 5.1.3, 5.1.6, 5.1.10, 5.2.1; a bare
 * 5.0.0 when its diagnostic says so, "user unknown") is a hard bounce. The report also carries
 * the returned message's headers, whose Message-ID ties it to one copy we sent. qmail's bounces
 * are plain text instead ("Hi. This is the qmail-send program…", then "<address>:" and the reason,
 * then a copy of the message): read the same way, the status from the reason's "(#5.1.1)" or the
 * remote server's reply. Pure; linear in the size of the message.
 */
import { isMailboxDiagnostic, MAILBOX_STATUS } from './mailbox-refusal.ts';

export interface BounceReport {
  recipients: BouncedRecipient[];
  /** Every Message-ID the report holds (the returned message's among them), with its angle brackets. */
  messageIds: string[];
}

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

/**
 * What a delivery status notification reports; null when `message` is none. `message`: the
 * bytes as received (an MTA's pipe, a saved .eml), or text already decoded.
 */
export function readBounce(message: string | Buffer): BounceReport | null {
  // Bytes are read one character per byte (latin1): every byte of an 8bit part survives
  // whatever its charset, and the status part is decoded as its own MIME type says.
  const bytes = typeof message !== 'string';
  const text = bytes ? message.subarray(0, MAX_REPORT_CHARS).toString('latin1') : message.slice(0, MAX_REPORT_CHARS);
  const part = deliveryStatusPart(text, bytes);
  const recipients = part === null ? qmailRecipients(text) : dsnRecipients(part);
  if (recipients.length === 0) return null;
  const messageIds = [...new Set([...text.matchAll(MESSAGE_ID)].map((match) => match[1]!))];
  return { recipients, messageIds };
}

/** The recipients of a DSN's message/delivery-status part. */
function dsnRecipients(part: string): BouncedRecipient[] {
  const recipients: BouncedRecipient[] = [];
  // Blocks of fields separated by blank lines: the per-message block, then one per recipient.
  for (const block of part.split(/\r?\n[ \t]*\r?\n/)) {
    const fields = readFields(block);
    // The address we sent to: a forwarded mailbox's final one is someone else's.
    const address = addressOf(fields.get('original-recipient')) ?? addressOf(fields.get('final-recipient'));
    const action = fields.get('action')?.toLowerCase() ?? '';
    const status = (fields.get('status') ?? '').split(/\s/)[0] ?? '';
    if (address === null || !STATUS.test(status)) continue;
    const diagnostic = fields.get('diagnostic-code')?.replace(/^[^;]*;\s*/, '') ?? null;
    recipients.push({ address, action, status, diagnostic, hard: isHard(action, status, diagnostic) });
  }
  return recipients;
}

function isHard(action: string, status: string, diagnostic: string | null): boolean {
  return action === 'failed' && (MAILBOX_STATUS.test(status) || (status === '5.0.0' && isMailboxDiagnostic(diagnostic ?? '')));
}

/** The opening every qmail-send bounce has (qmail-send.c), and where its copy of the message begins. */
const QMAIL_BOUNCE = /^Hi\. This is the qmail-send program at [^\r\n]*\r?\n/m;
const QMAIL_PERMANENT = /This is a permanent error; I've given up\./;
const QMAIL_COPY = /^--- (?:Below this line is a copy of the message|Enclosed are the original headers of the message)/m;
/** "<jane@example.org>:" alone on a line starts a recipient's paragraph. */
const QMAIL_RECIPIENT = /^<([^\s<>@]+@[^\s<>@]+)>:[ \t]*$/;
/** The remote server's reply as qmail quotes it: its first line's code, and an enhanced status right after it. */
const QMAIL_REMOTE_REPLY = /Remote host said: ([245])\d\d(?:[ -]([245]\.\d{1,3}\.\d{1,3})\b)?[^\r\n]*/;
/** The status qmail gives a failure of its own ("Sorry, no mailbox here by that name. (#5.1.1)"). */
const QMAIL_OWN_STATUS = /\(#([245]\.\d{1,3}\.\d{1,3})\)/;

/** The recipients of a qmail bounce (a permanent failure report); [] when `text` is none. */
function qmailRecipients(text: string): BouncedRecipient[] {
  const opening = QMAIL_BOUNCE.exec(text);
  if (!opening) return [];
  let report = text.slice(opening.index);
  const copy = QMAIL_COPY.exec(report);
  if (copy) report = report.slice(0, copy.index);
  const action = QMAIL_PERMANENT.test(report) ? 'failed' : 'delayed';
  const recipients: BouncedRecipient[] = [];
  let current: { address: string; lines: string[] } | null = null;
  const finish = (): void => {
    if (current === null) return;
    const paragraph = current.lines.join('\n');
    const diagnostic = paragraph.replace(/\s+/g, ' ').trim();
    // The remote reply's first line decides, read where qmail quotes it (an IP address such as
    // 192.0.2.250 elsewhere is no reply code); a reply quoting another reply (a failed check of
    // our own sender address) is judged by its first line only. Without a reply, qmail's own
    // code; without an enhanced code, the reply's class stands for it (RFC 3463's x.0.0).
    const reply = QMAIL_REMOTE_REPLY.exec(paragraph);
    const own = QMAIL_OWN_STATUS.exec(paragraph);
    const status = reply ? (reply[2] ?? `${reply[1]}.0.0`) : own ? own[1]! : action === 'failed' ? '5.0.0' : '4.0.0';
    recipients.push({
      address: current.address.toLowerCase(),
      action,
      status,
      diagnostic: diagnostic || null,
      hard: isHard(action, status, reply ? reply[0] : diagnostic),
    });
    current = null;
  };
  for (const line of report.split(/\r?\n/)) {
    const recipient = QMAIL_RECIPIENT.exec(line);
    if (recipient) {
      finish();
      current = { address: recipient[1]!, lines: [] };
    } else if (current !== null) {
      if (line.trim() === '') finish();
      else current.lines.push(line);
    }
  }
  finish();
  return recipients;
}

/** A Message-ID header, its value maybe on a folded line. */
const MESSAGE_ID = /^message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{1,500}>)/gim;

/**
 * The body of the message/delivery-status part (decoded from base64 when so sent), or null.
 * `bytes`: `message` holds one character per byte, so an 8bit part's text is still to decode.
 */
function deliveryStatusPart(message: string, bytes: boolean): string | null {
  const start = /^content-type:[ \t]*message\/(?:global-)?delivery-status\b/im.exec(message);
  if (!start) return null;
  const rest = message.slice(start.index);
  const headersEnd = /\r?\n[ \t]*\r?\n/.exec(rest);
  if (!headersEnd) return null;
  const headers = readFields(rest.slice(0, headersEnd.index));
  let body = rest.slice(headersEnd.index + headersEnd[0].length);
  const boundary = /^--\S/m.exec(body);
  if (boundary) body = body.slice(0, boundary.index);
  // RFC 6533: message/global-delivery-status is UTF-8 (an internationalised address, sent
  // 8bit or in base64); the plain one is ASCII, where latin1 keeps any stray byte as it came.
  const type = headers.get('content-type') ?? '';
  const charset = /^message\/global-delivery-status\b/i.test(type) || /;\s*charset\s*=\s*"?utf-?8"?/i.test(type) ? 'utf8' : 'latin1';
  if (headers.get('content-transfer-encoding')?.toLowerCase() === 'base64') {
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString(charset);
  }
  return bytes && charset === 'utf8' ? Buffer.from(body, 'latin1').toString('utf8') : body;
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
