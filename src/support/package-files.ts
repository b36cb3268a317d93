/**
 * Files shipped beside the program (package.json, templates/), found from wherever this code
 * runs: the TypeScript sources (src/…) or the compiled bundle (dist/…), whose depths differ.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The package's root folder: the nearest folder above this module holding package.json. */
export function packageRoot(): string {
  if (root !== null) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package-files: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  root = dir;
  return dir;
}

/** A path inside the package (`packageFile('templates', 'digest.mjml')`). */
export function packageFile(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
