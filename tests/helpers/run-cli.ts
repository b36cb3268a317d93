/** Runs the real CLI (bin/columnwire.js) in a child process. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'bin/columnwire.js');

let readableCopy: string | null = null;

/**
 * A copy of the program that any user can read, for children run as another user: the checkout
 * may sit in a folder only its owner can enter (/root/...). The program (bin, dist, templates) is copied and opened to all;
 * node_modules, 230 MB, is hard-linked when its files are readable by all (npm's default), else copied.
 * Made once per test process, removed when it exits. Returns the copy's root.
 */
export function readableProgramCopy(): string {
  if (readableCopy !== null) return readableCopy;
  const dir = mkdtempSync(join(tmpdir(), 'columnwire-program-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const entry of ['bin', 'dist', 'templates', 'package.json']) {
    execFileSync('cp', ['-R', join(ROOT, entry), dir]);
  }
  const privateModules = execFileSync('find', [join(ROOT, 'node_modules'), '!', '-perm', '-o+r', '-print', '-quit'], { encoding: 'utf8' });
  execFileSync('cp', [privateModules === '' ? '-al' : '-R', join(ROOT, 'node_modules'), dir]);
  execFileSync('chmod', ['-R', 'a+rX', ...['bin', 'dist', 'templates', 'package.json'].map((entry) => join(dir, entry))]);
  if (privateModules !== '') execFileSync('chmod', ['-R', 'a+rX', join(dir, 'node_modules')]);
  chmodSync(dir, 0o755);
  readableCopy = dir;
  return dir;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `columnwire ...args` to completion. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; uid?: number; gid?: number; input?: string } = {},
): Promise<CliResult> {
  // Another user runs a copy it can read, from a folder it can enter.
  const asOtherUser = options.uid !== undefined && options.uid !== process.getuid?.();
  const program = asOtherUser ? readableProgramCopy() : ROOT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(program, 'bin/columnwire.js'), ...args], {
      cwd: options.cwd ?? (asOtherUser ? program : process.cwd()),
      env: { ...process.env, LOG_LEVEL: 'warn', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    // A child that exits without reading its input closes the pipe: not the test's failure.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    outputOf(child).then(resolve, reject);
  });
}

/** Runs the shell `command` line (a pipeline into the CLI, say) to completion, LOG_LEVEL=warn. */
export function runShell(command: string, env: Record<string, string> = {}): Promise<CliResult> {
  return outputOf(spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn', ...env } }));
}

/** A child's whole stdout and stderr, and its exit code, once it closed. */
function outputOf(child: { stdout: Readable; stderr: Readable } & Pick<ChildProcess, 'on'>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
