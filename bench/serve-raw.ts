/**
 * Child process: the raw floor. A bare node:http server on 127.0.0.1 (port 0) that answers
 * every request with bytes and headers captured from columnwire's own server: the br variant
 * when Accept-Encoding mentions br, else the gzip one, and the captured 304 when If-None-Match
 * names either ETag. No routing, no negotiation beyond that, no lookups: the least a server
 * can do to send the same responses. Gets its responses over IPC ({ type: 'serve' }), replies
 * { type: 'ready', url }, then answers 'stats' and 'exit' like bench/serve-ours.ts.
 *
 * The site bench sends { type: 'replay', byTarget } instead: one captured response per request
 * target (path and query, as sent), looked up in a Map and written back; anything else is a 404.
 */
import { createServer, type OutgoingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { childStats } from './serve-child.ts';

/** One captured response. */
export interface CapturedResponse {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

export interface RawResponses {
  gzip: CapturedResponse;
  br: CapturedResponse;
  notModified: CapturedResponse;
  /** Every ETag that earns the 304. */
  etags: string[];
}

type Message =
  | { type: 'serve'; responses: RawResponses }
  | { type: 'replay'; byTarget: Record<string, CapturedResponse> }
  | { id: number; type: 'stats' }
  | { id?: number; type: 'exit' };

function serveFeed(responses: RawResponses): RequestListener {
  const { gzip, br, notModified, etags } = responses;
  return (req, res) => {
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch !== undefined && etags.includes(ifNoneMatch)) {
      res.writeHead(304, notModified.headers).end();
      return;
    }
    const variant = req.headers['accept-encoding']?.includes('br') ? br : gzip;
    res.writeHead(200, variant.headers).end(variant.body);
  };
}

function replay(byTarget: Record<string, CapturedResponse>): RequestListener {
  const responses = new Map(Object.entries(byTarget));
  return (req, res) => {
    const found = responses.get(req.url ?? '');
    if (found) res.writeHead(found.status, found.headers).end(found.body);
    else res.writeHead(404).end();
  };
}

function start(listener: RequestListener): void {
  const server = createServer(listener);
  server.keepAliveTimeout = 65_000; // as ours
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}` });
  });
}

process.on('message', (message: Message) => {
  if (message.type === 'serve') start(serveFeed(message.responses));
  else if (message.type === 'replay') start(replay(message.byTarget));
  else if (message.type === 'stats') process.send?.({ type: 'stats', id: message.id, ...childStats() });
  else if (message.type === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
