/**
 * A real `smtp-server` on 127.0.0.1 (port 0) that receives the digests: plain SMTP over
 * loopback (STARTTLS disabled, auth optional), each accepted message kept as raw bytes and
 * read back with mailparser. It can refuse on purpose: the sender, a reply code per recipient,
 * 421 for the first connections, 451 for the first messages, or hold messages unanswered (to
 * crash a client mid-run). close() destroys open sockets, so a test never waits on it.
 */
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';
import { onTestFinished } from 'vitest';

/** One message the server accepted (answered 250). */
export interface ReceivedMessage {
  /** Envelope recipients (RCPT TO), lower-cased. */
  rcptTo: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

/** A refusal: the SMTP reply code and text. */
export interface Refusal {
  code: number;
  message: string;
}

export interface SmtpServerOptions {
  /** Port to listen on; 0 (a free one) unless told. */
  port?: number;
  /** The reply to MAIL FROM for the sender's address, or null to accept it. */
  rejectSender?: (address: string) => Refusal | null;
  /** The reply to RCPT TO for an address, or null to accept it. */
  rejectRecipient?: (address: string) => Refusal | null;
  /** The greeting for a new connection: a refusal (554 for a blocked client) closes it; null greets. */
  refuseGreeting?: () => Refusal | null;
  /** Answer this many connections with 421 and close them. */
  refuseConnections?: number;
  /** Answer the DATA of this many messages with 451. */
  refuseMessages?: number;
  /** Accept this many messages, then hold every later one unanswered until the client goes away. */
  holdAfter?: number;
  /** false: no SMTPUTF8 in the EHLO reply (RFC 6531), as Postfix with smtputf8_enable = no; read when the server starts. */
  smtpUtf8?: boolean;
  /** false: no AUTH in the EHLO reply (a relay that takes no login, trusting the client's address); read when the server starts. */
  offerAuth?: boolean;
  /** Refuse mail from a client that has not logged in (530 to MAIL FROM, RFC 4954 §6); read when the server starts. */
  requireAuth?: boolean;
  /** The reply to AUTH for a user name and password, or null to accept the login. */
  rejectLogin?: (username: string, password: string) => Refusal | null;
  /** Called after each message accepted or held, with the counts so far. */
  afterMessage?: (counts: { accepted: number; held: number }) => void;
}

export interface TestSmtpServer {
  /** smtp://127.0.0.1:PORT, for SMTP_URL. */
  url: string;
  port: number;
  /** Accepted messages, in the order they were answered. */
  messages: ReceivedMessage[];
  /** How many RCPT TO commands named each address (accepted or refused), lower-cased. */
  rcptAttempts: Map<string, number>;
  /** Mutable: change how the server behaves from now on. */
  options: SmtpServerOptions;
  /** Resolves when every message taken so far is parsed and in `messages` (a killed client's last one too). */
  settled(): Promise<void>;
  /** Accepted messages addressed to `address`. */
  messagesTo(address: string): ReceivedMessage[];
  close(): Promise<void>;
}

function smtpError(refusal: Refusal): SMTPServerError {
  return Object.assign(new Error(refusal.message), { responseCode: refusal.code });
}

/** Starts the server; close it yourself, or use smtpServerForTest. */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMessage[] = [];
  const rcptAttempts = new Map<string, number>();
  const sockets = new Set<Socket>();
  // `taken` counts messages decided for acceptance (parsing is async; `messages` fills later).
  const state = { options: { ...options }, held: 0, taken: 0 };
  const parsing = new Set<Promise<unknown>>();
  const server = new SMTPServer({
    authOptional: !options.requireAuth,
    // Plain AUTH over loopback without TLS, so SMTP_URL credentials can be tested; any login is accepted unless rejectLogin says.
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      const refusal = state.options.rejectLogin?.(auth.username ?? '', auth.password ?? '') ?? null;
      if (refusal) return callback(smtpError(refusal));
      callback(null, { user: auth.username });
    },
    hideSMTPUTF8: options.smtpUtf8 === false,
    disabledCommands: options.offerAuth === false ? ['STARTTLS', 'AUTH'] : ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onConnect(_session, callback) {
      const greeting = state.options.refuseGreeting?.() ?? null;
      if (greeting) return callback(smtpError(greeting));
      const refuse = state.options.refuseConnections ?? 0;
      if (refuse <= 0) return callback();
      state.options.refuseConnections = refuse - 1;
      callback(smtpError({ code: 421, message: 'Too busy, try again later' }));
    },
    onMailFrom(address, _session, callback) {
      const refusal = state.options.rejectSender?.(address.address.toLowerCase()) ?? null;
      callback(refusal ? smtpError(refusal) : undefined);
    },
    onRcptTo(address, _session, callback) {
      const to = address.address.toLowerCase();
      rcptAttempts.set(to, (rcptAttempts.get(to) ?? 0) + 1);
      const refusal = state.options.rejectRecipient?.(to) ?? null;
      callback(refusal ? smtpError(refusal) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const refuse = state.options.refuseMessages ?? 0;
        if (refuse > 0) {
          state.options.refuseMessages = refuse - 1;
          return callback(smtpError({ code: 451, message: 'Temporary local problem, try again later' }));
        }
        if (state.taken >= (state.options.holdAfter ?? Infinity)) {
          // Never answered: the client still waits for the reply when it dies.
          state.held++;
          state.options.afterMessage?.({ accepted: messages.length, held: state.held });
          return;
        }
        state.taken++;
        const rcptTo = session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase());
        const parse = simpleParser(raw).then(
          (parsed) => {
            messages.push({ rcptTo, raw, parsed });
            callback();
            state.options.afterMessage?.({ accepted: messages.length, held: state.held });
          },
          (error: unknown) => callback(error as Error),
        );
        parsing.add(parse);
        void parse.finally(() => parsing.delete(parse));
      });
    },
  });
  // A client killed mid-command resets its socket; that is expected here, not a failure.
  server.on('error', () => {});
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    rcptAttempts,
    get options() {
      return state.options;
    },
    set options(value) {
      state.options = value;
    },
    settled: async () => {
      while (parsing.size > 0) await Promise.allSettled([...parsing]);
    },
    messagesTo: (address) => messages.filter((message) => message.rcptTo.includes(address.toLowerCase())),
    close: async () => {
      const closed = once(server.server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** Starts a server for the running test only: it is closed when the test finishes. */
export async function smtpServerForTest(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const server = await startSmtpServer(options);
  onTestFinished(() => server.close());
  return server;
}

/** An smtp:// URL on 127.0.0.1 where nothing listens: the port of a server just closed. */
export async function closedSmtpUrl(): Promise<string> {
  const server = await startSmtpServer();
  await server.close();
  return server.url;
}

/** A header as sent (unfolded), or undefined; mailparser's structured view of List-* headers hides the raw text. */
export function rawHeader(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((header) => header.key === name.toLowerCase())?.line;
  return line
    ?.slice(line.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
}

/** The addresses of the To header. */
export function toAddresses(mail: ParsedMail): string[] {
  const to: AddressObject[] = mail.to === undefined ? [] : Array.isArray(mail.to) ? mail.to : [mail.to];
  return to.flatMap((group) => group.value.map((address) => address.address ?? ''));
}

/** The HTML part, failing when there is none. */
export function htmlOf(mail: ParsedMail): string {
  if (typeof mail.html !== 'string') throw new Error('smtp-server: the message has no HTML part');
  return mail.html;
}

/** The plain-text part, failing when there is none. */
export function textOf(mail: ParsedMail): string {
  if (mail.text === undefined) throw new Error('smtp-server: the message has no text part');
  return mail.text;
}
