/** Which digests a command acts on, from its --digest/--id option, with errors naming what exists. */
import type { DigestConfig } from '../config/schema.ts';
import { UsageError } from '../errors.ts';

/** The digests `command` acts on: `id`, or all of them; none configured, or an unknown id, is a usage error. */
export function selectDigests(
  command: string,
  digests: readonly DigestConfig[],
  id: string | undefined,
  configPath: string,
): DigestConfig[] {
  if (digests.length === 0)
    throw new UsageError(`${command}: ${configPath} defines no digests; add a "digests:" list (see README, "Digests")`);
  if (id === undefined) return [...digests];
  const digest = digests.find((candidate) => candidate.id === id);
  if (!digest)
    throw new UsageError(`${command}: no digest with id "${id}"; digests: ${digests.map((candidate) => candidate.id).join(', ')}`);
  return [digest];
}
