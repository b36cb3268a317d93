/**
 * Unsubscribe tokens: the address and digest, signed with HMAC-SHA256 under the instance's
 * secret, so a link can only unsubscribe the address it was sent to.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenSubject {
  address: string;
  digestId: string;
}

/** The token for an address and digest. */
export function createUnsubscribeToken(subject: TokenSubject, secret: string): string {
  const payload = Buffer.from(JSON.stringify([subject.address.toLowerCase(), subject.digestId])).toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

/** The subject of a valid token, or null when it is malformed or its signature does not match. */
export function verifyUnsubscribeToken(token: string, secret: string): TokenSubject | null {
  const [payload, signature, ...extra] = token.split('.');
  if (!payload || !signature || extra.length > 0) return null;
  const expected = Buffer.from(sign(payload, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const [address, digestId] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown[];
    return typeof address === 'string' && typeof digestId === 'string' ? { address, digestId } : null;
  } catch {
    return null;
  }
}

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}
