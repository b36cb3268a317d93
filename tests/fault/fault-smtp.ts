/**
 * The SMTP server of the fault-injection suite: a real smtp-server on 127.0.0.1 that keeps
 * the headers of every message it accepts and sometimes refuses, reproducibly: 421 on
 * connect, 450 on RCPT and 451 on DATA (transient: the service retries, then leaves the copy
 * pending), 554 on DATA and 550 for the bounce addresses (permanent: recorded as failed).
 * A tripwire holds the DATA of the first message that arrives once N have been accepted in
 * a generation (never answered, so never delivered), so the test can kill the service mid-digest.
 */
import { once } from 'node:events';
import type { EventEmitter } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';
import { streamFor } from '../helpers/prng.ts';

/** A message the server accepted (answered 250). */
export interface AcceptedCopy {
  messageId: string;
  /** The envelope recipient, lower-cased. */
  to: string;
  subject: string;
  generation: number;
}

export interface SmtpCounts {
  connections: number;
  refusedConnections: number;
  rcptTransient: number;
  rcptPermanent: number;
  dataTransient: number;
  dataPermanent: number;
  accepted: number;
  held: number;
}

export interface SmtpTripwire {
  afterAccepted: number;
  fire(): void;
}

export interface FaultSmtpServer {
  url: string;
  accepted: AcceptedCopy[];
  counts: SmtpCounts;
  /** 'calm': only the bounce addresses are refused. */
  mode: 'chaos' | 'calm';
  /** While true, every DATA is held unanswered. */
  hold: boolean;
  tripwire: SmtpTripwire | null;
  newGeneration(): void;
  acceptedInGeneration(): number;
  /** Messages being received and not yet answered (held ones excluded). */
  inProgress(): number;
  close(): Promise<void>;
}

const refusal = (code: number, message: string): SMTPServerError => Object.assign(new Error(message), { responseCode: code });

/** Starts the server; `bounce` addresses are refused at RCPT for good; `changes` gets 'change' per accepted message. */
export async function startFaultSmtp(options: {
  seed: number;
  bounce: ReadonlySet<string>;
  changes: EventEmitter;
}): Promise<FaultSmtpServer> {
  const { seed, bounce, changes } = options;
  const accepted: AcceptedCopy[] = [];
  const counts: SmtpCounts = {
    connections: 0,
    refusedConnections: 0,
    rcptTransient: 0,
    rcptPermanent: 0,
    dataTransient: 0,
    dataPermanent: 0,
    accepted: 0,
    held: 0,
  };
  const attempts = new Map<string, number>();
  const attempt = (key: string) => {
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    return n;
  };
  const state = { generation: 0, acceptedInGeneration: 0, inProgress: 0 };
  const sockets = new Set<Socket>();

  const smtp: FaultSmtpServer = {
    url: '',
    accepted,
    counts,
    mode: 'chaos',
    hold: false,
    tripwire: null,
    newGeneration() {
      state.generation++;
      state.acceptedInGeneration = 0;
    },
    acceptedInGeneration: () => state.acceptedInGeneration,
    inProgress: () => state.inProgress,
    close: async () => {
      const closed = once(server.server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    size: 10 * 1024 * 1024,
    onConnect(_session, callback) {
      counts.connections++;
      if (smtp.mode === 'chaos' && streamFor(seed, 'connect', counts.connections)() < 0.03) {
        counts.refusedConnections++;
        return callback(refusal(421, '4.3.2 Too busy, try again later'));
      }
      callback();
    },
    onRcptTo(address, _session, callback) {
      const to = address.address.toLowerCase();
      if (bounce.has(to)) {
        counts.rcptPermanent++;
        return callback(refusal(550, '5.1.1 Mailbox unavailable'));
      }
      if (smtp.mode === 'chaos' && streamFor(seed, 'rcpt', to, attempt(`rcpt ${to}`))() < 0.04) {
        counts.rcptTransient++;
        return callback(refusal(450, '4.2.1 Mailbox busy, try again later'));
      }
      callback();
    },
    onData(stream, session, callback) {
      const tripwire = smtp.tripwire;
      if (tripwire && state.acceptedInGeneration >= tripwire.afterAccepted) {
        smtp.tripwire = null;
        smtp.hold = true;
        tripwire.fire();
      }
      stream.on('error', () => {});
      if (smtp.hold) {
        // Read and never answered: the copy is not delivered, whatever happens to the client.
        counts.held++;
        stream.resume();
        return;
      }
      state.inProgress++;
      const answer = (error?: SMTPServerError) => {
        state.inProgress--;
        callback(error);
        changes.emit('change');
      };
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const headerEnd = raw.indexOf('\r\n\r\n');
        simpleParser(raw.subarray(0, headerEnd < 0 ? raw.length : headerEnd + 4)).then(
          (parsed) => {
            const messageId = parsed.messageId ?? '';
            const to = session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()).join(',');
            const draw = streamFor(seed, 'data', messageId, to, attempt(`data ${messageId} ${to}`))();
            if (smtp.mode === 'chaos' && draw < 0.05) {
              counts.dataTransient++;
              return answer(refusal(451, '4.3.0 Temporary local problem, try again later'));
            }
            if (smtp.mode === 'chaos' && draw < 0.07) {
              counts.dataPermanent++;
              return answer(refusal(554, '5.6.0 Message refused by policy'));
            }
            accepted.push({ messageId, to, subject: parsed.subject ?? '', generation: state.generation });
            counts.accepted++;
            state.acceptedInGeneration++;
            answer();
          },
          (error: unknown) => answer(error as SMTPServerError),
        );
      });
    },
  });
  // A client killed mid-command resets its socket; that is expected here, not a failure.
  server.on('error', () => {});
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  smtp.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return smtp;
}
