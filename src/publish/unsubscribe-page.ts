/**
 * /unsubscribe: GET shows a confirmation page with a button (mail scanners follow links,
 * so GET changes nothing); POST, the button or an RFC 8058 one-click request, records it.
 * The token is HMAC-signed, so a tampered one is refused with 400.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../storage/store.ts';
import { verifyUnsubscribeToken } from '../unsubscribe-token.ts';
import { escapeHtml } from '../html-text.ts';

const MAX_BODY_BYTES = 4096;

/** Handles GET and POST /unsubscribe; resolves to false when the request was refused (bad token or too large). */
export async function handleUnsubscribe(req: IncomingMessage, res: ServerResponse, url: URL, store: Store, secret: string): Promise<boolean> {
  const body = req.method === 'POST' ? await readSmallBody(req) : '';
  if (body === null) return page(res, 413, 'Request too large', '<p>This request is too large.</p>'), false;
  const token = url.searchParams.get('token') ?? new URLSearchParams(body).get('token') ?? '';
  const subject = verifyUnsubscribeToken(token, secret);
  if (!subject) {
    return page(res, 400, 'Invalid link', '<p>This unsubscribe link is not valid: it may have been cut or changed. Use the link from the latest digest email.</p>'), false;
  }
  const who = `<strong>${escapeHtml(subject.address)}</strong>`;
  if (req.method === 'POST') {
    await store.unsubscribe(subject.address, subject.digestId, new Date());
    return page(res, 200, 'Unsubscribed', `<p>${who} will get no more digests.</p>`), true;
  }
  const action = `/unsubscribe?token=${encodeURIComponent(token)}`;
  page(res, 200, 'Unsubscribe?', `<p>Stop sending digests to ${who}?</p>
<form method="post" action="${escapeHtml(action)}"><button type="submit">Unsubscribe</button></form>`);
  return true;
}

/** The body as text, or null when it passes the limit. */
async function readSmallBody(req: IncomingMessage): Promise<string | null> {
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES) return null;
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>
`);
}
