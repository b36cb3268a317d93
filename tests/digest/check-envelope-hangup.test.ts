/**
 * check's envelope probe (SMTP_URL naming no user, the server offering AUTH) against a server
 * that hangs up mid-envelope without a reply, as some drop a client that did not log in: check
 * reports the broken connection, which every send would meet too. It said ok.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { verifySmtp } from '../../src/digest/send-digest.ts';

const PROBE = { from: 'digest@columns.example.net', to: 'ann@example.org' };

/** A minimal ESMTP server offering AUTH that closes the connection when the client sends `hangUpAt`. */
async function hangingUpServer(hangUpAt: string): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.write('220 relay.example ESMTP\r\n');
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const verb = buffered.slice(0, 4).toUpperCase();
        buffered = buffered.slice(end + 2);
        if (verb === hangUpAt) return void socket.end();
        if (verb === 'EHLO') socket.write('250-relay.example\r\n250 AUTH PLAIN LOGIN\r\n');
        else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

describe("check's envelope probe against a server that hangs up", () => {
  it.each(['MAIL', 'RCPT'])('at %s reports the closed connection, not ok', async (verb) => {
    const port = await hangingUpServer(verb);
    expect(await verifySmtp(`smtp://127.0.0.1:${port}`, 5_000, PROBE)).toMatch(/^ECONNECTION: Connection closed unexpectedly/);
  });
});
