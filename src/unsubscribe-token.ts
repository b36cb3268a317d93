/**
 * Unsubscribe tokens: the address, the digest and the subscription epoch, signed with
 * HMAC-SHA256 under the instance's secret, so a link can only unsubscribe the address it was
 * sent to, from the digest it came with. The epoch grows with every resubscribe, so a link
 * mailed before one is recognisably old (the page refuses to replay it).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenSubject {
  address: string;
  digestId: string;
  /** The subscription epoch when the link was mailed; tokens from before epochs existed read as 0. */
  epoch: number;
}

/** The token for an address, digest and epoch (0 unless given: never resubscribed). */
export function createUnsubscribeToken(subject: Omit<TokenSubject, 'epoch'> & { epoch?: number }, secret: string): string {
  return seal([subject.address.toLowerCase(), subject.digestId, subject.epoch ?? 0], secret);
}

/** The subject of a valid token, or null when it is malformed or its signature does not match. */
export function verifyUnsubscribeToken(token: string, secret: string): TokenSubject | null {
  const value = open(token, secret);
  return value === undefined ? null : parseSubject(value);
}

/** [address, digest] (links mailed before epochs, kept working as epoch 0) or [address, digest, epoch]. */
function parseSubject(value: unknown): TokenSubject | null {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3) return null;
  const [address, digestId, epoch = 0] = value as unknown[];
  if (typeof address !== 'string' || typeof digestId !== 'string') return null;
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) return null;
  return { address, digestId, epoch };
}

/** `value` as JSON in base64url, a dot, and its HMAC-SHA256 signature. */
function seal(value: unknown, secret: string): string {
  const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

/** The value a token sealed, or undefined when it is malformed or its signature does not match. */
function open(token: string, secret: string): unknown {
  const [payload, signature, ...extra] = token.split('.');
  if (!payload || !signature || extra.length > 0) return undefined;
  const expected = Buffer.from(sign(payload, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** What a signup confirmation link says: who asked for which digest, and when (it expires SIGNUP_LINK_HOURS later). */
export interface SignupSubject {
  address: string;
  digestId: string;
  requestedAt: Date;
}

/** How long a confirmation link works. */
export const SIGNUP_LINK_HOURS = 48;

/** The token of a signup confirmation link. Its payload starts with "signup", so it is never an unsubscribe token, nor one of those a signup token. */
export function createSignupToken(subject: SignupSubject, secret: string): string {
  return seal(['signup', subject.address.toLowerCase(), subject.digestId, subject.requestedAt.getTime()], secret);
}

/** The subject of a valid signup token, or null (malformed, tampered, or not a signup token). Expiry is the caller's. */
export function verifySignupToken(token: string, secret: string): SignupSubject | null {
  const value = open(token, secret);
  if (!Array.isArray(value) || value.length !== 4 || value[0] !== 'signup') return null;
  const [, address, digestId, at] = value as unknown[];
  if (typeof address !== 'string' || typeof digestId !== 'string' || typeof at !== 'number' || !Number.isSafeInteger(at)) return null;
  return { address, digestId, requestedAt: new Date(at) };
}
