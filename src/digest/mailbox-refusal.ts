/** Which permanent failures are about the recipient's mailbox (and so count towards a bounce). Pure. */

/**
 * RFC 3463 statuses that say the mailbox does not exist or takes no mail: bad mailbox, bad
 * system, bad syntax, moved, no MX (5.1.10), disabled. Never 5.1.7/5.1.8 (the sender's address),
 * 5.2.2 (full) or 5.7.x (policy, spam, relaying): those say nothing about the mailbox.
 */
export const MAILBOX_STATUS = /^5\.(?:1\.(?:1|2|3|6|10)|2\.1)$/;

/**
 * Words a reply or diagnostic without an enhanced status uses for a mailbox that is not there;
 * RFC 5321's generic 550 text "mailbox unavailable" among them, unless the reply says it is a
 * policy refusal (POLICY_WORDS: "550 mailbox unavailable: your IP is listed at …").
 */
const MAILBOX_GONE =
  /user unknown|unknown user|user not found|no such (?:user|mailbox|recipient)|recipient not found|mailbox (?:unavailable|not found|does not exist|disabled)|unrouteable address|no mailbox here/i;
/** Words of a refusal for who sends or what is sent, not for the mailbox. */
const POLICY_WORDS =
  /\b(?:spam|blocked|block ?list(?:ed)?|black ?list(?:ed)?|listed|policy|reputation|your ip|ip address|rbl|dnsbl|relay(?:ing)?|denied)\b/i;
const saysMailboxGone = (text: string): boolean => MAILBOX_GONE.test(text) && !POLICY_WORDS.test(text);

/** An enhanced status code (RFC 3463) where it stands alone, not inside an address or a version. */
const ENHANCED_STATUS = /(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])/;

/**
 * Whether a diagnostic (a DSN's Diagnostic-Code, a quoted reply) says the mailbox is gone: by
 * the first enhanced status in it when there is one (5.7.1 "Recipient address rejected: Access
 * denied" is a policy, 5.1.8 the sender's address), else by its words.
 */
export function isMailboxDiagnostic(text: string): boolean {
  const status = ENHANCED_STATUS.exec(text);
  return status ? MAILBOX_STATUS.test(status[1]!) : saysMailboxGone(text);
}

/** An SMTP reply line's code and, when the server sends one (RFC 2034), its enhanced status. */
const REPLY = /^(\d{3})(?:[ -]([245]\.\d{1,3}\.\d{1,3})(?![\d.]))?/;

/**
 * Whether a refusal of RCPT TO proves the mailbox is gone: a 5xx whose enhanced status is a
 * mailbox status (read from the last line that has one: some servers give it only on the last
 * line of a multi-line reply), or, from a server without enhanced codes, a 550, 551 or 553 that
 * says so in words ("user unknown", Exim's "Unrouteable address"). A full mailbox (552 5.2.2), a
 * policy or spam refusal and a relay that refuses to relay (5.7.x) are not: the mailbox may well
 * work, and a relay's policy refuses every recipient alike.
 */
export function isMailboxRefusal(reply: string): boolean {
  const lines = reply
    .trim()
    .split(/\r?\n/)
    .map((line) => REPLY.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null);
  const first = lines[0];
  if (!first || !first[1]!.startsWith('5')) return false;
  const status = lines.map((match) => match[2]).findLast((found) => found !== undefined);
  if (status !== undefined) return MAILBOX_STATUS.test(status);
  return ['550', '551', '553'].includes(first[1]!) && saysMailboxGone(reply);
}
