/**
 * vitest globalSetup: builds dist/ once before the suite, so every test that runs the real CLI
 * (bin/columnwire.js runs dist/) runs the sources as they are now, exactly as users get them.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.js'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'inherit' });
}
