/**
 * One HTTP GET with Node's own client (node:http, node:https): the status with its reason
 * phrase, the header fields, and the body as a stream, decoded per Content-Encoding as
 * browsers decode it (gzip and x-gzip, deflate with or without its zlib wrapper, br; at most
 * five codings; a coding it does not know leaves the body as sent). Header values are read as
 * Latin-1 (so a validator with bytes above 127 goes back to the server as it came), a repeated
 * field reads as its values joined with ", ", and 1xx responses are skipped. Node's client is
 * built into the binary: a `poll` process over 1,000 feeds that answer 304 took 0.99–1.10 s of
 * CPU and 92 MB with it, against 1.20–1.33 s and 124 MB with undici's dispatcher, whose HTTP
 * parser is WebAssembly that every process compiles anew, and 1.43–1.50 s with fetch.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import type { GuardedAgents } from './guard-address.ts';

/** A response's header fields, read by name in any case. */
export interface ResponseHeaders {
  get(name: string): string | null;
}

export interface HttpResponse {
  status: number;
  /** The server's reason phrase ("Not Found"); may be empty. */
  statusText: string;
  headers: ResponseHeaders;
  /** The body, decoded. Read it to the end, or call discard(). */
  body: Readable;
  /** Reads no more of the body: a response received whole leaves its connection for the next request; else the request stops. */
  discard(): void;
}

/** Content codings beyond this many are refused, as fetch refuses them (a decompression-chain attack). */
const MAX_CODINGS = 5;
/** Statuses that never have a body (Fetch standard, "null body status"). */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** Sends a GET for `url` with `headers` and resolves once the response's headers have come. */
export function httpGet(url: URL, headers: Record<string, string>, agents: GuardedAgents, signal: AbortSignal): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const request = (secure ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      headers,
      agent: secure ? agents.https : agents.http,
      signal,
    });
    let response: IncomingMessage | null = null;
    // Before the response, a failure is the request's; after it, the body's reader hears of it.
    request.on('error', (error) => {
      if (response === null) reject(error);
      else if (!response.complete) response.destroy(error);
    });
    request.on('response', (incoming) => {
      response = incoming;
      const fields = readFields(incoming.rawHeaders);
      const status = incoming.statusCode ?? 0;
      let body: Readable;
      try {
        body = NULL_BODY_STATUSES.has(status) ? incoming : decode(incoming, fields.get('content-encoding'));
      } catch (error) {
        incoming.destroy();
        return reject(asError(error));
      }
      resolve({
        status,
        statusText: incoming.statusMessage ?? '',
        headers: fields,
        body,
        discard: () => {
          if (incoming.complete) incoming.resume();
          else body.destroy();
        },
      });
    });
    request.end();
  });
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** Header fields (Node reads them as Latin-1), names in lower case, repeated ones joined with ", ". */
function readFields(raw: readonly string[]): ResponseHeaders {
  const fields = new Map<string, string>();
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index]!.toLowerCase();
    const value = raw[index + 1]!.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
    const earlier = fields.get(name);
    fields.set(name, earlier === undefined ? value : `${earlier}, ${value}`);
  }
  return { get: (name) => fields.get(name.toLowerCase()) ?? null };
}

/** The body decoded per its Content-Encoding, the last coding applied first. */
function decode(body: Readable, contentEncoding: string | null): Readable {
  const codings = contentEncoding ? contentEncoding.toLowerCase().split(',') : [];
  if (codings.length > MAX_CODINGS) {
    throw new Error(`too many content-encodings in response: ${codings.length}, maximum allowed is ${MAX_CODINGS}`);
  }
  const decoders: Transform[] = [];
  for (const coding of codings.map((name) => name.trim()).reverse()) {
    // Lenient, as browsers and curl are: servers send slightly broken streams that still decode.
    if (coding === 'gzip' || coding === 'x-gzip') {
      decoders.push(zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
    } else if (coding === 'deflate') {
      decoders.push(new InflateEither());
    } else if (coding === 'br') {
      decoders.push(
        zlib.createBrotliDecompress({
          flush: zlib.constants.BROTLI_OPERATION_FLUSH,
          finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
        }),
      );
    } else {
      return body; // a coding we cannot undo: the body as sent
    }
  }
  if (decoders.length === 0) return body;
  // The error reaches whoever reads the last stream; pipeline destroys the others with it.
  return pipeline([body, ...decoders], () => {}) as unknown as Readable;
}

/**
 * "deflate" as servers send it: RFC 9110 means zlib-wrapped (RFC 1950), but many send raw
 * deflate (RFC 1951); the first byte tells which, as undici's fetch reads it.
 */
class InflateEither extends Transform {
  #inflate: zlib.Inflate | zlib.InflateRaw | null = null;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.#inflate) {
      if (chunk.length === 0) return callback();
      const options = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
      const inflate = (chunk[0]! & 0x0f) === 0x08 ? zlib.createInflate(options) : zlib.createInflateRaw(options);
      inflate.on('data', (data: Buffer) => this.push(data));
      inflate.on('error', (error) => this.destroy(error));
      this.#inflate = inflate;
    }
    this.#inflate.write(chunk, callback);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.#inflate) return callback();
    this.#inflate.once('end', () => callback());
    this.#inflate.end();
  }
}
