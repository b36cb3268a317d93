/**
 * Replaces a file so that a reader (or a crash) sees the old content or the new, never a
 * mix: write a temp file in the same folder (rename is only atomic within one file system),
 * fsync it, rename it over the target, then fsync the folder so the rename itself is durable.
 */
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Runs after the temp file is durable and before the rename; throwing aborts the write (the temp file is removed). */
  beforeRename?: () => void;
}

/** Writes `text` to `path` atomically, keeping the mode (and, as root, the owner) of the file it replaces. */
export function writeFileAtomic(path: string, text: string, options: AtomicWriteOptions = {}): void {
  const file = openTemporary(path);
  try {
    writeText(file.fd, text);
    file.commit(options);
  } catch (error) {
    throw file.abandon(error);
  }
}

/**
 * Writes the text of `chunks` to `path` atomically, as writeFileAtomic does, one chunk at a time:
 * the whole text is never held. When reading the chunks fails, the temp file is removed and
 * `path` is left as it was.
 */
export async function writeFileAtomicFrom(path: string, chunks: AsyncIterable<string>, options: AtomicWriteOptions = {}): Promise<void> {
  const file = openTemporary(path);
  try {
    for await (const chunk of chunks) writeText(file.fd, chunk);
    file.commit(options);
  } catch (error) {
    const cause = file.abandon(error);
    // A pipe whose reader stopped early (`--output /dev/stdout | head`) is no failure, as on stdout.
    if (!(file.inPlace && (error as NodeJS.ErrnoException).code === 'EPIPE')) throw cause;
  }
}

/** A temp file beside `path`'s target, to fill, then commit (rename over the target) or abandon (remove). */
function openTemporary(path: string) {
  // A pipe or a device (--output /dev/stdout, a FIFO, /dev/null) is written in place: renaming a
  // file over it would replace the device itself (as root, /dev/null), and it has no old text to
  // keep. Opened by the name given: /dev/stdout's link leads to no path (/proc/N/fd/pipe:[…]).
  const given = statOrNull(path);
  if (given !== null && !given.isFile() && !given.isDirectory()) return openInPlace(path);
  // Through a symlink (a mounted config, a dotfiles repo) the link stays and its target changes.
  const target = resolveTarget(path);
  const previous = statOrNull(target);
  const temporary = join(dirname(target), `.${basename(target).slice(0, 200)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  const abandon = (error: unknown): unknown => {
    if (fd !== null) closeSync(fd);
    fd = null;
    try {
      unlinkSync(temporary);
    } catch {
      // Never created, or already renamed: nothing to clean up.
    }
    return describeWriteError(error, target);
  };
  try {
    fd = openSync(temporary, 'wx', previous ? previous.mode & 0o777 : 0o666);
    if (previous) {
      fchmodSync(fd, previous.mode & 0o777);
      if (process.getuid?.() === 0) fchownSync(fd, previous.uid, previous.gid);
    }
  } catch (error) {
    throw abandon(error);
  }
  const opened = fd;
  return {
    fd: opened,
    inPlace: false,
    /** Makes the temp file durable and renames it over the target (errors are the caller's to abandon with). */
    commit(options: AtomicWriteOptions): void {
      fsyncSync(opened);
      closeSync(opened);
      fd = null;
      options.beforeRename?.();
      renameSync(temporary, target);
      syncFolder(dirname(target));
    },
    abandon,
  };
}

/** `target` (not a regular file) opened to be written as it is; commit only closes it. */
function openInPlace(target: string) {
  let fd: number;
  try {
    fd = openSync(target, 'w');
  } catch (error) {
    throw describeWriteError(error, target);
  }
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    fd,
    inPlace: true,
    commit(options: AtomicWriteOptions): void {
      options.beforeRename?.();
      close();
    },
    abandon(error: unknown): unknown {
      close();
      return describeWriteError(error, target);
    },
  };
}

function writeText(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset);
}

function resolveTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function syncFolder(folder: string): void {
  try {
    const fd = openSync(folder, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms cannot open or fsync a folder; the rename has happened either way.
  }
}

function describeWriteError(error: unknown, target: string): unknown {
  // Only a file system call's error is about the file; one from the text's source is its own.
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (code === undefined || syscall === undefined) return error;
  const hint =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? `the folder ${dirname(target)} is not writable (${code}); columnwire writes a temp file beside it and renames it`
      : code === 'EBUSY' || code === 'EXDEV'
        ? // rename(2) cannot replace a mount point: Docker's single-file bind mounts are one.
          `it is mounted on its own (${code}), as a single-file bind mount is, so it cannot be replaced; mount its folder instead`
        : `${(error as Error).message}`;
  return new Error(`write: cannot write ${target}: ${hint}; the file is unchanged`, { cause: error });
}
