/**
 * Child process: the digest bench's SMTP sink. A real smtp-server on 127.0.0.1 (port 0),
 * plain SMTP (STARTTLS disabled, auth optional), that drains each message's DATA stream and
 * counts messages and bytes without parsing them. Replies { type: 'ready', url: smtp://… },
 * then answers 'stats' (counts plus CPU/RSS) and 'exit' like the serving bench's children.
 * With `--record` (the scale bench's digest run) it also keeps each message's envelope
 * recipients and Message-ID header (read from the header block only), the first message's raw
 * bytes, and when the first and last arrived; 'records' returns them.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { childStats } from './serve-child.ts';

export interface SinkStats {
  messages: number;
  bytes: number;
  connections: number;
  cpuUs: number;
  rssMb: number;
  maxRssMb: number;
}

/** What `--record` keeps: one entry per message, in arrival order. */
export interface SinkRecords {
  messageIds: string[];
  recipients: string[][];
  /** The first message as received (DATA, dot-unstuffed), for a floor that sends the same bytes. */
  firstRaw: Buffer | null;
  firstAtMs: number;
  lastAtMs: number;
}

type Message = { id: number; type: 'stats' } | { id: number; type: 'records' } | { id?: number; type: 'exit' };

const counts = { messages: 0, bytes: 0, connections: 0 };
const recording = process.argv.includes('--record');
const records: SinkRecords = { messageIds: [], recipients: [], firstRaw: null, firstAtMs: 0, lastAtMs: 0 };
const MESSAGE_ID = /^message-id:[ \t]*(<[^>\r\n]*>)/im;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  disableReverseLookup: true,
  logger: false,
  size: 0,
  onConnect(_session, callback) {
    counts.connections++;
    callback();
  },
  onData(stream, session, callback) {
    let bytes = 0;
    // Recording keeps the chunks up to the end of the header block (all of the first message).
    let head: Buffer[] | null = recording ? [] : null;
    const keepAll = recording && records.firstRaw === null;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (head && (keepAll || !Buffer.concat(head).includes('\r\n\r\n'))) head.push(chunk);
    });
    stream.on('end', () => {
      counts.messages++;
      counts.bytes += bytes;
      if (head) {
        const raw = Buffer.concat(head);
        head = null;
        const headers = raw.subarray(0, Math.max(0, raw.indexOf('\r\n\r\n')));
        records.messageIds.push(MESSAGE_ID.exec(headers.toString('latin1'))?.[1] ?? '');
        records.recipients.push(session.envelope.rcptTo.map((to) => to.address.toLowerCase()));
        if (keepAll && records.firstRaw === null) records.firstRaw = raw;
        records.lastAtMs = Date.now();
        if (counts.messages === 1) records.firstAtMs = records.lastAtMs;
      }
      callback();
    });
  },
});
// A client that goes away mid-command resets its socket: expected, not a failure.
server.on('error', () => {});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.server.address() as AddressInfo;
  process.send?.({ type: 'ready', url: `smtp://127.0.0.1:${port}` });
});

process.on('message', (message: Message) => {
  if (message.type === 'stats')
    process.send?.({ type: 'stats', id: message.id, ...counts, ...childStats() } satisfies SinkStats & { type: string; id: number });
  else if (message.type === 'records') process.send?.({ type: 'records', id: message.id, ...records });
  else if (message.type === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
