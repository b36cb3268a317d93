/** Which permanent failures are about the recipient's mailbox (and so count towards a bounce). Pure. */

/** Replies or diagnostics that say the mailbox does not exist or takes no mail (RFC 3463 5.1.x, 5.2.1). */
export const MAILBOX_REFUSAL =
  /(?<![\d.])5\.1\.\d\b(?!\.)|(?<![\d.])5\.2\.1\b(?!\.)|user unknown|no such (user|mailbox)|mailbox (unavailable|not found|does not exist|disabled)|recipient (address )?rejected/i;
