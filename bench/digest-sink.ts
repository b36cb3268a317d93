/**
 * Child process: the digest bench's SMTP sink. A real smtp-server on 127.0.0.1 (port 0),
 * plain SMTP (STARTTLS disabled, auth optional), that drains each message's DATA stream and
 * counts messages and bytes without parsing them. Replies { type: 'ready', url: smtp://… },
 * then answers 'stats' (counts plus CPU/RSS) and 'exit' like the serving bench's children.
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

type Message = { id: number; type: 'stats' } | { id?: number; type: 'exit' };

const counts = { messages: 0, bytes: 0, connections: 0 };

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
  onData(stream, _session, callback) {
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    stream.on('end', () => {
      counts.messages++;
      counts.bytes += bytes;
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
  else if (message.type === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
