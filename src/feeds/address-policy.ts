/**
 * Which addresses a feed fetch may connect to (poll.allowPrivateAddresses): public unicast
 * always, loopback, private and link-local ranges only when allowed. Pure, and light to
 * import: the config schema validates with it.
 */
import { inRanges, isAddressOrRange, rangeName } from '../support/ip-ranges.ts';

/** true: any address; false: public unicast only; a list: public plus these addresses or CIDR ranges. */
export type AddressPolicy = boolean | readonly string[];

/** Why `address` (what `host` resolved to) may not be connected to, or null when it may. */
export function describeRefusal(host: string, address: string, policy: AddressPolicy): string | null {
  if (policy === true) return null;
  const range = rangeName(address);
  if (range === 'unicast') return null;
  if (policy !== false && inRanges(address, policy)) return null;
  return `refused ${host}: it resolves to ${address}, a ${range} address ${REFUSAL_HINT}`;
}

const REFUSAL_HINT = '(list it in poll.allowPrivateAddresses to allow)';

/** Does a fetch failure's reason (perhaps wrapped, as "feed X found on page Y failed: ...") say the policy refused an address? */
export function isAddressRefusal(reason: string): boolean {
  return reason.includes(REFUSAL_HINT);
}

/** Is `value` an address or CIDR range the policy understands? For config validation. */
export { isAddressOrRange };
