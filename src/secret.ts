/**
 * The instance secret that signs unsubscribe links: env COLUMNWIRE_SECRET, else a random
 * one generated once and kept in <data>/secret (readable by the owner only).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Returns the secret, creating <dataDir>/secret on first use. */
export function loadSecret(dataDir: string, env: NodeJS.ProcessEnv): string {
  if (env.COLUMNWIRE_SECRET) return env.COLUMNWIRE_SECRET;
  const path = join(dataDir, 'secret');
  try {
    const stored = readFileSync(path, 'utf8').trim();
    if (stored) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`secret: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const secret = randomBytes(32).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  // 'wx': if another process created it meanwhile, keep theirs.
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    return readFileSync(path, 'utf8').trim();
  }
}
