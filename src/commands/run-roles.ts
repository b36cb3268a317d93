/** The roles `columnwire run --roles` takes (PostgreSQL mode), read before anything heavy loads. */
import { UsageError } from '../errors.ts';

export type Role = 'http' | 'worker' | 'scheduler';
export const ROLES: readonly Role[] = ['http', 'worker', 'scheduler'];

/** Reads `--roles` ("http,worker,scheduler", any subset, default all three). */
export function parseRoles(value: string | undefined): Set<Role> {
  if (value === undefined) return new Set(ROLES);
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !ROLES.includes(name as Role));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(`run: --roles takes a comma-separated list of ${ROLES.join(', ')}; got "${value}"`);
  }
  return new Set(names as Role[]);
}
