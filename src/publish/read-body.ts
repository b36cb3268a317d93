/** A small request body, read whole: forms only, never an upload. */
import type { IncomingMessage } from 'node:http';

/** The body as text, or null when it passes `maxBytes` (announced or sent). */
export async function readSmallBody(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  if (Number(req.headers['content-length']) > maxBytes) return null;
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
