/**
 * Who may read the operator's pages (/metrics, /digests/{id}/preview): clients whose socket
 * address is in server.adminNetworks. Only the socket address counts. X-Forwarded-For and its
 * kin are whatever the client chose to send unless a proxy we trust rewrote them, and there is
 * no setting naming such a proxy; so a request that carries them is one a proxy forwarded,
 * from a client whose address is unknown, and it is refused whatever the proxy's own address.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { inRanges } from '../support/ip-ranges.ts';

/** Headers a reverse proxy adds to say whom it forwards for (RFC 7239, and the de-facto X- ones). */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'true-client-ip', 'cf-connecting-ip'] as const;

/** Why the client may not see the admin page `path`, ready to send with a 403, or null when it may. */
export function describeAdminRefusal(
  path: string,
  remoteAddress: string | undefined,
  headers: IncomingHttpHeaders,
  adminNetworks: readonly string[],
): string | null {
  const forwarded = FORWARDING_HEADERS.find((name) => headers[name] !== undefined);
  if (forwarded) {
    return (
      `${path} is served only to clients in server.adminNetworks, asking the server's own port directly; ` +
      `this request came through a proxy (it carries ${forwarded}), so its client's address is unknown.\n`
    );
  }
  if (remoteAddress !== undefined && inRanges(remoteAddress, adminNetworks)) return null;
  return `${path} is served only to clients in server.adminNetworks (feeds.yaml); ${remoteAddress ?? 'this client'} is not in it.\n`;
}
