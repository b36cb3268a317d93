/**
 * A TCP proxy in front of PostgreSQL that a test can cut: 'refuse' ends every connection and
 * refuses new ones (the server down), 'silent' keeps every socket open but passes nothing either
 * way (a partition: no reset, no answer; what was sent waits and goes through once it heals),
 * 'pass' forwards again. Its URL is the target's with
 * the proxy's port.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

export type ProxyMode = 'pass' | 'silent' | 'refuse';

export interface PostgresProxy {
  /** The target URL, pointing at the proxy. */
  url: string;
  /** Connections accepted so far (refused ones included). */
  readonly accepted: number;
  set(mode: ProxyMode): void;
  close(): Promise<void>;
}

/** Starts a proxy to `targetUrl`'s host and port; closed after the test. */
export async function startPostgresProxy(targetUrl: string): Promise<PostgresProxy> {
  const target = new URL(targetUrl);
  let mode: ProxyMode = 'pass';
  let accepted = 0;
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    accepted++;
    if (mode === 'refuse') return void client.destroy();
    const upstream = connect(Number(target.port || 5432), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      destroy(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    if (mode === 'silent') pause(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(targetUrl);
  url.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const pair of pairs) destroy(pair);
      server.close(() => resolve());
    });
  onTestFinished(close);
  return {
    url: url.href,
    get accepted() {
      return accepted;
    },
    set(next) {
      mode = next;
      for (const pair of [...pairs]) {
        if (next === 'refuse') destroy(pair);
        else if (next === 'silent') pause(pair);
        else for (const socket of pair) socket.resume();
      }
    },
    close,
  };
}

const pause = (pair: [Socket, Socket]) => pair.forEach((socket) => socket.pause());
const destroy = (pair: [Socket, Socket]) => pair.forEach((socket) => socket.destroy());
