/** Which permanent failures are about the recipient's mailbox (and so count towards a bounce). Pure. */

/**
 * RFC 3463 statuses that say the mailbox does not exist or takes no mail: bad mailbox, bad
 * system, bad syntax, moved, no MX (5.1.10), disabled. Never 5.1.7/5.1.8 (the sender's address),
 * 5.2.2 (full) or 5.7.x (policy, spam, relaying): those say nothing about the mailbox.
 */
export const MAILBOX_STATUS = /^5\.(?:1\.(?:1|2|3|6|10)|2\.1)$/;

/** Words a reply without an enhanced status uses for a mailbox that is not there. */
const MAILBOX_GONE = /user unknown|unknown user|no such (?:user|mailbox)|mailbox (?:unavailable|not found|does not exist|disabled)/i;

/** Replies or diagnostics that say the mailbox does not exist or takes no mail (RFC 3463 5.1.x, 5.2.1). */
export const MAILBOX_REFUSAL = new RegExp(
  String.raw`(?<![\d.])5\.1\.\d\b(?!\.)|(?<![\d.])5\.2\.1\b(?!\.)|${MAILBOX_GONE.source}|recipient (address )?rejected`,
  'i',
);

/** An SMTP reply's code and, when the server sends one (RFC 2034), its enhanced status. */
const REPLY = /^(\d{3})(?:[ -]([245]\.\d{1,3}\.\d{1,3})(?![\d.]))?/;

/**
 * Whether a refusal of RCPT TO proves the mailbox is gone: a 5xx whose enhanced status is a
 * mailbox status, or, from a server without enhanced codes, a 550, 551 or 553 that says so in
 * words ("user unknown"). A full mailbox (552 5.2.2), a policy or spam refusal and a relay that
 * refuses to relay (5.7.x) are not: the mailbox may well work, and a relay's policy refuses
 * every recipient alike.
 */
export function isMailboxRefusal(reply: string): boolean {
  const match = REPLY.exec(reply.trim());
  if (!match || !match[1]!.startsWith('5')) return false;
  const status = match[2];
  if (status !== undefined) return MAILBOX_STATUS.test(status);
  return ['550', '551', '553'].includes(match[1]!) && MAILBOX_GONE.test(reply);
}
