/**
 * `mkdir -p` that always ends. Node's own `mkdirSync(path, { recursive: true })` spins forever
 * (in C++, deaf to signals) when a parent exists but refuses children with ENOENT, as /proc
 * does, or is a dangling symlink (nodejs/node#27198 is the Windows cousin): it takes ENOENT
 * as "parent missing", makes the parent (EEXIST), and retries. Here each folder on the way is
 * made once, top down, so every path costs one mkdir per component and fails with its reason.
 */
import { accessSync, constants, lstatSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A folder that cannot be made or used; `code` is the errno code behind it. */
export class FolderError extends Error {
  override name = 'FolderError';
  /** `folder` is the path at fault (the folder asked for, or one of its parents); `reason` says why, without it. */
  constructor(
    readonly folder: string,
    readonly reason: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(`${folder} ${reason}`, options);
  }
}

/** Creates `path` and its missing parents; throws FolderError saying which folder failed and why. */
export function ensureFolder(path: string): void {
  const missing: string[] = [];
  for (let folder = resolve(path); !isFolder(folder); folder = dirname(folder)) {
    missing.unshift(folder);
    if (dirname(folder) === folder) break;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'EIO';
      if (code === 'EEXIST' && isFolder(folder)) continue; // made meanwhile by another process
      throw new FolderError(folder, reasonOf(code, folder), code, { cause });
    }
  }
}

/** Throws FolderError unless the existing folder `path` lets this process create and change files in it. */
export function checkWritableFolder(path: string): void {
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'EACCES';
    throw new FolderError(resolve(path), `is not writable by this user (${code})`, code, { cause });
  }
}

function reasonOf(code: string, folder: string): string {
  switch (code) {
    case 'EEXIST':
      return isLink(folder) ? 'is a symbolic link to nothing (EEXIST)' : 'is a file, not a folder (EEXIST)';
    case 'ENOTDIR':
      return 'cannot be made: a file stands where one of its parents should be (ENOTDIR)';
    case 'ENOENT':
      // The parent exists (it was found or just made) yet refuses a child: /proc, /sys, a dangling link.
      return `cannot be made: ${dirname(folder)} does not accept new folders (ENOENT)`;
    case 'EACCES':
    case 'EPERM':
      return `cannot be made: ${dirname(folder)} is not writable by this user (${code})`;
    case 'EROFS':
      return 'cannot be made: the file system is read-only (EROFS)';
    default:
      return `cannot be made (${code})`;
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
