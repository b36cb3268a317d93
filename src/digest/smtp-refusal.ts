/**
 * What an SMTP failure means for a copy (sent later, failed for good, the relay's settings to
 * fix) and how to say it. Pure: nodemailer's error objects in, outcomes and one-line errors out.
 */
import { isMailboxRefusal } from './mailbox-refusal.ts';
import type { SendOutcome } from './send-digest.ts';

/** The fields of a nodemailer error that say which command failed and how. */
interface SmtpError {
  responseCode?: number;
  code?: string;
  command?: string;
  response?: string;
  message?: string;
}

/** Commands of the session itself, before any message: a refusal there refuses every message alike. */
const SESSION_STAGES = new Set(['CONN', 'EHLO', 'HELO', 'LHLO', 'STARTTLS']);

/** 5xx replies refuse this message or recipient for good (RFC 5321 §4.2.1); the rest may pass later. */
export function classifySmtpError(error: unknown): SendOutcome {
  const { responseCode, code, command, response } = error as SmtpError;
  const text = describeSmtpError(error);
  // nodemailer names the command a reply answered ('CONN' for the greeting).
  const stage = (command ?? '').toUpperCase();
  // Refused before any message (a 554 greeting for a blocked address, a refused EHLO or
  // STARTTLS): the relay refuses every copy alike and says nothing about any of them, as when it
  // cannot be reached, so they wait for the next attempt rather than failing for good.
  if (SESSION_STAGES.has(stage)) return { kind: 'transient', error: text, connection: true };
  // A refused login, or 530 to MAIL FROM (RFC 4954 §6: authentication required; RFC 3207 §4:
  // STARTTLS first): SMTP_URL is what to fix, not mail.from, and every message is refused alike.
  if (code === 'EAUTH' && responseCode !== undefined && responseCode < 500) return { kind: 'transient', error: text, connection: true };
  if (code === 'EAUTH' || (stage === 'MAIL FROM' && responseCode === 530)) return loginWanted(error, code === 'EAUTH');
  if (responseCode !== undefined && responseCode >= 500) {
    // MAIL FROM is about our sender, and its EENVELOPE code is the same as a refused
    // recipient's: only the command tells them apart.
    if (stage === 'MAIL FROM') return { kind: 'sender-refused', error: text };
    // Only a refused RCPT whose reply proves the mailbox gone counts; a full mailbox, a policy or
    // relay refusal (5.7.x) and a refused message (at DATA: content, spam) never make an address bounce.
    const mailbox = stage === 'RCPT TO' && isMailboxRefusal(response ?? '');
    return { kind: 'permanent', error: tooLarge(response ?? '') ? `${text} (${SIZE_HINT})` : text, mailbox };
  }
  return { kind: 'transient', error: text, connection: responseCode === undefined };
}

/**
 * Whether a 4xx or 5xx (status 4.7.x or 5.7.x) to MAIL FROM or RCPT TO reads as a relay's "log in first" when no login was
 * made: Postfix's submission service answers a client that did not log in with `554 5.7.1
 * <addr>: Recipient address rejected: Access denied` or `Client host rejected: Access denied`,
 * Sendmail with "Relaying denied. Proper authentication required", not RFC 4954's 530; Postfix's
 * default relay restrictions (defer_unauth_destination) with `454 4.7.1 <addr>: Relay access
 * denied`, a 4xx, and so does any restriction under soft_bounce. Only
 * meaningful when the server offers AUTH (the caller asks it): from a relay that offers no
 * login, such a refusal is its policy for that recipient.
 */
export function mayWantLogin(error: unknown): boolean {
  const { responseCode, command, response } = error as SmtpError;
  const stage = (command ?? '').toUpperCase();
  if (responseCode === undefined || responseCode < 400 || (stage !== 'MAIL FROM' && stage !== 'RCPT TO')) return false;
  const status = /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})/.exec((response ?? '').trim())?.[1];
  if (status !== undefined && !/^[45]\.7\./.test(status)) return false;
  return LOGIN_WORDS.test(response ?? '');
}

const LOGIN_WORDS = /authenticat|relay(?:ing)? (?:access )?(?:denied|not permitted)|client host rejected|access denied/i;

/** Every copy waits: the relay refuses all alike until SMTP_URL carries a (working) login. */
export function loginWanted(error: unknown, refusedLogin: boolean): SendOutcome {
  const { response } = error as SmtpError;
  const text = describeSmtpError(error);
  return { kind: 'transient', error: `${text} (${loginHint(response ?? text, refusedLogin)})`, connection: true };
}

/**
 * Whether the relay refused the message itself as too large (RFC 1870; RFC 3463 5.3.4): at the
 * end of DATA, or at MAIL FROM for its SIZE= parameter, or anywhere with status 5.3.4. A 552 to
 * RCPT TO without it is a full mailbox, one recipient's matter.
 */
export function isSizeRefusal(error: unknown): boolean {
  const { responseCode, command, response } = error as SmtpError;
  if (responseCode === undefined || responseCode < 500) return false;
  const reply = (response ?? '').trim();
  const stage = (command ?? '').toUpperCase();
  return /^5\d\d[ -]5\.3\.4\b/.test(reply) || ((stage === 'DATA' || stage === 'MAIL FROM') && tooLarge(reply));
}

/** RFC 1870 / RFC 3463 5.3.4: the message is over the server's size limit. */
function tooLarge(reply: string): boolean {
  return /^552[ -]5\.3\.4\b/.test(reply.trim()) || /^55\d .*(?:too (?:big|large)|size|exceeds)/i.test(reply.trim());
}

const SIZE_HINT =
  'the relay refuses a message this large; that copy is not sent again: lower the digest\'s maxItems, or raise the relay\'s limit (Postfix "message_size_limit")';

/**
 * nodemailer's error on one line; when SMTP_URL and the port disagree about TLS (smtps:// to a
 * STARTTLS port, or smtp:// to 465, which waits for TLS and never greets), what to write
 * instead; when the server's certificate is not trusted, how to trust it.
 */
export function describeSmtpError(error: unknown): string {
  const { code, message } = error as SmtpError;
  const text = `${code ? `${code}: ` : ''}${message ?? String(error)}`.replace(/\s+/g, ' ').trim();
  if (/wrong version number|packet length too long|unknown protocol/i.test(text))
    return `${text} (the server speaks no TLS on this port: use smtp:// in SMTP_URL, which starts TLS with STARTTLS)`;
  if (/greeting never received/i.test(text)) return `${text} (if this port expects TLS at once, as 465 does, use smtps:// in SMTP_URL)`;
  if (UNTRUSTED_CERTIFICATE.test(text))
    return `${text} (the SMTP server's TLS certificate is not signed by a known authority: give columnwire the server's certificate or its CA as a PEM file with NODE_EXTRA_CA_CERTS=/path/to/ca.pem, or have the relay use a certificate for its name from a public CA)`;
  if (/Hostname\/IP does not match|altnames/i.test(text))
    return `${text} (the SMTP server's TLS certificate is for another name: use the name it was issued for as the host in SMTP_URL)`;
  return text;
}

const UNTRUSTED_CERTIFICATE =
  /self[- ]signed certificate|unable to (?:verify the first certificate|get local issuer certificate)|unable to get issuer certificate/i;

/** What to change in SMTP_URL when the relay refuses us before any message (never quoting the URL, which holds the password). */
function loginHint(reply: string, refusedLogin: boolean): string {
  if (refusedLogin) return 'the relay refused the user name or password in SMTP_URL; percent-encode special characters in them';
  if (/starttls|\btls\b/i.test(reply)) return 'the relay wants TLS first: use smtps:// in SMTP_URL, or a port that offers STARTTLS';
  return 'the relay wants a login: put the user name and password in SMTP_URL as USER:PASS@ before the host, percent-encoded';
}
