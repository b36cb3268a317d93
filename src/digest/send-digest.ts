/**
 * Sending mail (the only importer of nodemailer): a pooled SMTP transport from SMTP_URL, or,
 * without one, .eml files in <data>/outbox so the service runs out of the box. Failures are
 * sorted into transient (retry later) and permanent (the recipient is refused).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { encodeWord, quoteString } from 'nodemailer/lib/mime-funcs';
import { classifySmtpError, describeSmtpError, isSizeRefusal, loginWanted, mayWantLogin } from './smtp-refusal.ts';

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

/** How long a relay's "too large" refusal stands for copies at least as large (see smtpMailer). */
export const SIZE_REFUSAL_HELD_MS = 15 * 60_000;

function smtpMailer(smtpUrl: string, from: string): Mailer {
  const url = parseSmtpUrl(smtpUrl);
  if (typeof url === 'string') throw new Error(`mail: ${url}`);
  const secure = url.protocol === 'smtps:';
  const transport = nodemailer.createTransport({ pool: true, maxConnections: 5, ...smtpOptions(url), socketTimeout: 60_000 });
  // Asked once, and only when needed: a refusal that may mean "log in first" (see
  // mayWantLogin), or an address that needs SMTPUTF8.
  let capabilities: Promise<Capabilities | null> | undefined;
  const ask = () => (capabilities ??= serverCapabilities(url));
  // A relay that took a message without a login needs none: its "Access denied" to a recipient
  // is then its policy for that one (Postfix's check_recipient_access REJECT says the same
  // words as its submission service asking for a login), a refusal for good.
  let tookMailWithoutLogin = false;
  // The smallest copy the relay refused as too large, and its refusal: for SIZE_REFUSAL_HELD_MS
  // a copy at least as large would be refused alike, so it is failed without being sent (a run
  // to many readers would otherwise send every copy to be refused). A smaller copy (fewer
  // columns by a reader's choices) is still tried, and after that time a large one again, in
  // case the relay's limit was raised.
  let refusedAsTooLarge: { bytes: number; error: string; atMs: number } | null = null;
  return {
    describe: `smtp${secure ? 's' : ''}://${url.host}`,
    async send(message) {
      // RFC 6531 §3.4: an address with non-ASCII before the @ goes only to a server that offers
      // SMTPUTF8; one that does not mangles it (Postfix made "jöhn" "j??hn") and then refuses it
      // as unknown, which would count against a mailbox that may well exist. (nodemailer writes
      // a non-ASCII domain as punycode, which needs nothing.)
      if (/[^ -~]/.test(message.to.slice(0, message.to.lastIndexOf('@'))) && (await ask())?.smtpUtf8 === false)
        return {
          kind: 'permanent',
          error: `the relay does not offer SMTPUTF8 (RFC 6531), which ${message.to} needs (non-ASCII before the @): not sent; use a relay that offers it`,
          mailbox: false,
        };
      const bytes = messageBytes(message);
      if (refusedAsTooLarge !== null && Date.now() - refusedAsTooLarge.atMs >= SIZE_REFUSAL_HELD_MS) refusedAsTooLarge = null;
      if (refusedAsTooLarge !== null && bytes >= refusedAsTooLarge.bytes)
        return {
          kind: 'permanent',
          error: `${refusedAsTooLarge.error}; not sent: this copy (${bytes} bytes of text) is no smaller than one the relay refused (${refusedAsTooLarge.bytes})`,
          mailbox: false,
        };
      try {
        await transport.sendMail(toMail(message, from));
        tookMailWithoutLogin ||= !url.username;
        return { kind: 'sent' };
      } catch (error) {
        if (!url.username && !tookMailWithoutLogin && mayWantLogin(error) && (await ask())?.auth === true) return loginWanted(error, false);
        const outcome = classifySmtpError(error);
        if (outcome.kind === 'permanent' && isSizeRefusal(error) && bytes < (refusedAsTooLarge?.bytes ?? Infinity))
          refusedAsTooLarge = { bytes, error: outcome.error, atMs: Date.now() };
        return outcome;
      }
    },
    close: () => transport.close(),
  };
}

/**
 * Connects to SMTP_URL, says EHLO (and logs in when it names a user) and quits, sending no
 * mail: null when that works, else the error (which may quote the server's reply). When
 * SMTP_URL names no user and the server offers AUTH, it also tries `probe`'s envelope (MAIL
 * FROM, RCPT TO, then hangs up before the message: nothing is delivered), so a relay that
 * takes mail only after a login is reported as such, not as ok.
 */
export async function verifySmtp(smtpUrl: string, timeoutMs = 15_000, probe?: { from: string; to: string }): Promise<string | null> {
  const url = parseSmtpUrl(smtpUrl);
  if (typeof url === 'string') return url;
  const connection = connect(url, timeoutMs);
  try {
    await opened(connection);
    const auth = smtpOptions(url).auth;
    if (auth) {
      await new Promise<void>((resolve, reject) => connection.login(auth, (error) => (error ? reject(error) : resolve())));
      return null;
    }
    if (!connection.allowsAuth || probe === undefined) return null;
    const refusal = await tryEnvelope(connection, probe);
    // No reply at all (the server hung up or went silent mid-envelope): what a send would meet too.
    if (refusal !== null && (refusal as { responseCode?: number }).responseCode === undefined) return describeSmtpError(refusal);
    if (refusal === null || !(mayWantLogin(refusal) || (refusal as { responseCode?: number }).responseCode === 530)) return null;
    const outcome = loginWanted(refusal, false);
    return `the server requires authentication (it offers AUTH, and SMTP_URL names no user): ${outcome.kind === 'transient' ? outcome.error : ''}`;
  } catch (error) {
    const outcome = classifySmtpError(error);
    return (error as { code?: string }).code === 'EAUTH' && outcome.kind === 'transient' ? outcome.error : describeSmtpError(error);
  } finally {
    connection.close();
  }
}

/** One connection with SMTP_URL's settings; its TLS and STARTTLS as the transport's. */
function connect(url: URL, timeoutMs: number): SMTPConnection {
  const { auth: _auth, ...options } = smtpOptions(url);
  // The socket's own timeout after the greeting's, so a silent server is reported as no greeting.
  return new SMTPConnection({ ...options, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs * 2 });
}

/** Resolves once the server greeted and answered EHLO (and STARTTLS when offered); rejects with the first error. */
function opened(connection: SMTPConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    // Kept for the connection's life: a later error (the socket closing under a probe) is no crash.
    connection.on('error', reject);
    connection.connect(() => resolve());
  });
}

/** What the server's EHLO reply offers (RFC 4954 AUTH, RFC 6531 SMTPUTF8). */
interface Capabilities {
  auth: boolean;
  smtpUtf8: boolean;
}

/** What the server offers after EHLO (and STARTTLS, as most offer AUTH only then); null when it cannot be asked. */
async function serverCapabilities(url: URL): Promise<Capabilities | null> {
  const connection = connect(url, 15_000);
  try {
    await opened(connection);
    // Right after connecting, the last reply is the EHLO's.
    const ehlo = connection.lastServerResponse || '';
    return { auth: connection.allowsAuth, smtpUtf8: /^250[ -]SMTPUTF8\b/im.test(ehlo) };
  } catch {
    return null;
  } finally {
    connection.close();
  }
}

/**
 * Sends MAIL FROM and RCPT TO and, once the server answers DATA with 354, drops the connection
 * before any message text (RFC 5321 §4.1.1.4: no final dot, no mail): null when the envelope
 * was taken, else nodemailer's error for the refusal.
 */
function tryEnvelope(connection: SMTPConnection, probe: { from: string; to: string }): Promise<unknown> {
  return new Promise((resolve) => {
    const message = new Readable({
      read() {
        resolve(null);
        connection.close();
      },
    });
    connection.send({ from: probe.from, to: [probe.to] }, message, (error) => resolve(error ?? null));
  });
}

/** A copy's size as the relay's limit sees it, but for the MIME wrapping every copy shares: its text and HTML parts. */
function messageBytes(message: OutgoingMessage): number {
  return Buffer.byteLength(message.html) + Buffer.byteLength(message.text) + Buffer.byteLength(message.subject);
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
