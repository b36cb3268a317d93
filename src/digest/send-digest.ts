/**
 * Sending mail (the only importer of nodemailer): a pooled SMTP transport from SMTP_URL, or,
 * without one, .eml files in <data>/outbox so the service runs out of the box. Failures are
 * sorted into transient (retry later) and permanent (the recipient is refused).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { encodeWord, quoteString } from 'nodemailer/lib/mime-funcs';
import { isMailboxRefusal } from './mailbox-refusal.ts';

export interface OutgoingMessage {
  /** The bare address: the envelope recipient. */
  to: string;
  /** The reader's display name for the To header (feeds.yaml `Jane Doe <jane@example.com>`). */
  toName?: string;
  subject: string;
  html: string;
  text: string;
  /** Stable per run and recipient (RFC 5322 §3.6.4), so a resent copy is recognisably the same. */
  messageId: string;
  date: Date;
  headers: Record<string, string>;
  /** List-Id (RFC 2919): the list's description, a comment after it, and its id (a dot-atom). */
  listId?: { name: string; comment: string; id: string };
}

export type SendOutcome =
  | { kind: 'sent' }
  /** `connection`: the server could not be reached at all (no SMTP reply), so no other message will get through now either. */
  | { kind: 'transient'; error: string; connection: boolean }
  /**
   * The server refused our sender (5xx to MAIL FROM: a wrong mail.from, the relay's sender or SPF
   * policy). It refuses every copy alike and says nothing about any recipient: the copy waits, as
   * when the server cannot be reached, until mail.from or the relay is fixed.
   */
  | { kind: 'sender-refused'; error: string }
  /** `mailbox`: RCPT TO was refused because the mailbox is gone (5.1.1, 5.2.1, "user unknown"), which counts towards a bounce. */
  | { kind: 'permanent'; error: string; mailbox: boolean };

export interface Mailer {
  /** Where mail goes, for logs: "smtp://host:port" or the outbox folder (never a password). */
  describe: string;
  send(message: OutgoingMessage): Promise<SendOutcome>;
  close(): void;
}

export interface MailerOptions {
  from: string;
  /** smtp://user:pass@host:587 or smtps://…; null writes .eml files to `outboxDir`. */
  smtpUrl: string | null;
  outboxDir: string;
}

/** Creates the mailer for these options. */
export function createMailer(options: MailerOptions): Mailer {
  return options.smtpUrl ? smtpMailer(options.smtpUrl, options.from) : outboxMailer(options.outboxDir, options.from);
}

/** SMTP_URL as a URL, or what is wrong with it (never echoing the value, which may hold a password). */
export function parseSmtpUrl(smtpUrl: string): URL | string {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    return 'SMTP_URL is not a URL; use smtp://user:pass@host:587 or smtps://user:pass@host:465';
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') return `SMTP_URL must start with smtp:// or smtps://, got ${url.protocol}//`;
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    return 'SMTP_URL: its user name or password holds a "%" that starts no %XX escape; percent-encode it (a "%" is %25, and so are ":", "@", "/", "#", "?" as %3A, %40, %2F, %23, %3F)';
  }
  return url;
}

function smtpMailer(smtpUrl: string, from: string): Mailer {
  const url = parseSmtpUrl(smtpUrl);
  if (typeof url === 'string') throw new Error(`mail: ${url}`);
  const secure = url.protocol === 'smtps:';
  const transport = nodemailer.createTransport({ pool: true, maxConnections: 5, ...smtpOptions(url), socketTimeout: 60_000 });
  return {
    describe: `smtp${secure ? 's' : ''}://${url.host}`,
    async send(message) {
      try {
        await transport.sendMail(toMail(message, from));
        return { kind: 'sent' };
      } catch (error) {
        return classify(error);
      }
    },
    close: () => transport.close(),
  };
}

/**
 * Connects to SMTP_URL, says EHLO (and logs in when it names a user) and quits, sending no
 * mail: null when that works, else the error (which may quote the server's reply).
 */
export async function verifySmtp(smtpUrl: string, timeoutMs = 15_000): Promise<string | null> {
  const url = parseSmtpUrl(smtpUrl);
  if (typeof url === 'string') return url;
  // The socket's own timeout after the greeting's, so a silent server is reported as no greeting.
  const options = { ...smtpOptions(url), connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs * 2 };
  const transport = nodemailer.createTransport(options);
  try {
    await transport.verify();
    return null;
  } catch (error) {
    return describeError(error);
  } finally {
    transport.close();
  }
}

/** The connection settings SMTP_URL stands for (port 465 for smtps, else 587 submission, RFC 6409). */
function smtpOptions(url: URL) {
  const secure = url.protocol === 'smtps:';
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
  };
}

function outboxMailer(outboxDir: string, from: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    describe: outboxDir,
    async send(message) {
      const info = await transport.sendMail(toMail(message, from));
      const name = `${message.date.toISOString().replace(/[:.]/g, '-')}-${message.messageId.replace(/[^\w.-]+/g, '_')}.eml`;
      const temporary = join(outboxDir, `.${name}.tmp`);
      let started = false;
      try {
        mkdirSync(outboxDir, { recursive: true });
        started = true;
        writeFileSync(temporary, info.message as Buffer);
        renameSync(temporary, join(outboxDir, name));
      } catch (error) {
        // A folder that cannot be written (a file in its place, no permission, a full disk) takes
        // no copy at all: they wait, as for a relay that cannot be reached, and say why.
        if (started) rmSync(temporary, { force: true });
        return { kind: 'transient', error: `outbox: cannot write ${outboxDir}: ${(error as Error).message}`, connection: true };
      }
      return { kind: 'sent' };
    },
    close: () => transport.close(),
  };
}

function toMail(message: OutgoingMessage, from: string): SendMailOptions {
  const unfoldableSubject = UNFOLDABLE.test(message.subject);
  return {
    from,
    // nodemailer quotes and encodes the name itself (RFC 5322 §3.4, RFC 2047).
    to: message.toName === undefined ? message.to : { name: message.toName, address: message.to },
    ...(unfoldableSubject ? {} : { subject: message.subject }),
    html: message.html,
    text: message.text,
    messageId: message.messageId,
    date: message.date,
    headers: {
      ...message.headers,
      ...(message.listId ? { 'List-Id': listIdHeader(message.listId) } : {}),
      ...(unfoldableSubject
        ? { Subject: { prepared: true, foldLines: true, value: encodeWord(message.subject.replace(/\r?\n|\r/g, ' '), 'B', 52) } }
        : {}),
    },
    // Base64 builds about 3x faster than quoted-printable (PERF-NOTES) and survives any relay.
    textEncoding: 'base64',
  };
}

/**
 * A word too long to fold (RFC 5322 §2.1.1: a line holds at most 998 characters, and should
 * hold 78). nodemailer folds only at spaces, so such a text goes as RFC 2047 encoded words.
 */
const UNFOLDABLE = /\S{60}/;

// RFC 5322 §3.2.3 atext and spaces: a description of these goes as it is, as it always did.
const PLAIN_PHRASE = /^[\w!#$%&'*+\-/=?^`{|}~ ]+$/;

/**
 * List-Id written by hand: nodemailer encodes a whole custom header that holds anything beyond
 * ASCII, `<id>` included, which no mail client then reads as a list id. Only the description
 * may be encoded (RFC 2047 §5) or quoted; the comment and the id stay as they are.
 */
function listIdHeader({ name, comment, id }: NonNullable<OutgoingMessage['listId']>) {
  const flat = name.replace(/\s+/g, ' ').trim();
  // Past ASCII, or a word too long to fold under 78 characters a line: encoded words of 52, which fold.
  const phrase =
    /[^\x20-\x7e]/.test(flat) || UNFOLDABLE.test(flat) ? encodeWord(flat, 'B', 52) : PLAIN_PHRASE.test(flat) ? flat : quoteString(flat);
  const safeComment = comment.replace(/[^\w.-]/g, '');
  return { prepared: true, foldLines: true, value: `${phrase}${safeComment ? ` (${safeComment})` : ''} <${id}>` };
}

/** Commands of the session itself, before any message: a refusal there refuses every message alike. */
const SESSION_STAGES = new Set(['CONN', 'EHLO', 'HELO', 'LHLO', 'STARTTLS']);

/** 5xx replies refuse this message or recipient for good (RFC 5321 §4.2.1); the rest may pass later. */
function classify(error: unknown): SendOutcome {
  const { responseCode, code, command, response } = error as { responseCode?: number; code?: string; command?: string; response?: string };
  const text = describeError(error);
  // nodemailer names the command a reply answered ('CONN' for the greeting).
  const stage = (command ?? '').toUpperCase();
  // Refused before any message (a 554 greeting for a blocked address, a refused EHLO or
  // STARTTLS): the relay refuses every copy alike and says nothing about any of them, as when it
  // cannot be reached, so they wait for the next attempt rather than failing for good.
  if (SESSION_STAGES.has(stage)) return { kind: 'transient', error: text, connection: true };
  // A refused login, or 530 to MAIL FROM (RFC 4954 §6: authentication required; RFC 3207 §4:
  // STARTTLS first): SMTP_URL is what to fix, not mail.from, and every message is refused alike.
  if (code === 'EAUTH' && responseCode !== undefined && responseCode < 500) return { kind: 'transient', error: text, connection: true };
  if (code === 'EAUTH' || (stage === 'MAIL FROM' && responseCode === 530))
    return { kind: 'transient', error: `${text} (${loginHint(response ?? text, code === 'EAUTH')})`, connection: true };
  if (responseCode !== undefined && responseCode >= 500) {
    // MAIL FROM is about our sender, and its EENVELOPE code is the same as a refused
    // recipient's: only the command tells them apart.
    if (stage === 'MAIL FROM') return { kind: 'sender-refused', error: text };
    // Only a refused RCPT whose reply proves the mailbox gone counts; a full mailbox, a policy or
    // relay refusal (5.7.x) and a refused message (at DATA: content, spam) never make an address bounce.
    const mailbox = stage === 'RCPT TO' && isMailboxRefusal(response ?? '');
    return { kind: 'permanent', error: text, mailbox };
  }
  return { kind: 'transient', error: text, connection: responseCode === undefined };
}

/**
 * nodemailer's error on one line; when SMTP_URL and the port disagree about TLS (smtps:// to a
 * STARTTLS port, or smtp:// to 465, which waits for TLS and never greets), what to write instead.
 */
function describeError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const text = `${code ? `${code}: ` : ''}${message ?? String(error)}`.replace(/\s+/g, ' ').trim();
  if (/wrong version number|packet length too long|unknown protocol/i.test(text))
    return `${text} (the server speaks no TLS on this port: use smtp:// in SMTP_URL, which starts TLS with STARTTLS)`;
  if (/greeting never received/i.test(text)) return `${text} (if this port expects TLS at once, as 465 does, use smtps:// in SMTP_URL)`;
  return text;
}

/** What to change in SMTP_URL when the relay refuses us before any message (never quoting the URL, which holds the password). */
function loginHint(reply: string, refusedLogin: boolean): string {
  if (refusedLogin) return 'the relay refused the user name or password in SMTP_URL; percent-encode special characters in them';
  if (/starttls|\btls\b/i.test(reply)) return 'the relay wants TLS first: use smtps:// in SMTP_URL, or a port that offers STARTTLS';
  return 'the relay wants a login: put the user name and password in SMTP_URL, smtp://USER:PASS@HOST:587';
}
