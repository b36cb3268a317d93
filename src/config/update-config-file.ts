/**
 * One edit of feeds.yaml on disk. People edit the file by hand while the CLI edits it too, so
 * neither may undo the other: the edit is planned against the file as it is right now, written
 * only if the result is a valid config, and written atomically only if the file did not change
 * while it was prepared (else it is planned again against the new text). Two columnwire
 * commands edit it one after the other (config-edit-lock.ts).
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../write-file-atomic.ts';
import { withConfigEditLock } from './config-edit-lock.ts';
import { editConfigText, type ConfigEdit, type EditResult } from './edit-config.ts';
import { ConfigError, MAX_CONFIG_BYTES, parseConfig, readConfigText, type Config } from './load.ts';

/** The config change was refused; `problems` are the config's, each with its file and line. */
export class ConfigEditRefused extends ConfigError {
  override name = 'ConfigEditRefused';
  constructor(intro: string, problems: string[]) {
    super(problems);
    this.message = `${intro}:\n  ${problems.join('\n  ')}`;
  }
}

export interface ConfigUpdate {
  before: Config;
  after: Config;
  edit: ConfigEdit;
  result: EditResult;
}

const ATTEMPTS = 3;

/**
 * Plans an edit with `plan` (given the config as the file says now; null: nothing to do),
 * applies it and writes the file. Resolves to null when nothing was to be done.
 */
export function updateConfigFile(path: string, what: string, plan: (current: Config) => ConfigEdit | null): ConfigUpdate | null {
  return withConfigEditLock(path, () => planAndWrite(path, what, plan));
}

function planAndWrite(path: string, what: string, plan: (current: Config) => ConfigEdit | null): ConfigUpdate | null {
  for (let attempt = 1; ; attempt++) {
    const text = readConfigText(path);
    refuseReadOnly(path, what);
    const before = parseOrRefuse(text, path, `${path} has problems; fix them first (nothing was written)`);
    const edit = plan(before);
    if (edit === null) return null;
    const result = editConfigText(text, edit, path);
    // Past the limit, every later load (run, reload, this command) would refuse the file.
    const bytes = Buffer.byteLength(result.text);
    if (bytes > MAX_CONFIG_BYTES) {
      throw new ConfigEditRefused(`${what} would take ${path} past ${MAX_CONFIG_BYTES / 1024 / 1024} MiB, so nothing was written`, [
        `${path}: the result would be ${bytes} bytes; a config holds at most ${MAX_CONFIG_BYTES} (about 20,000 feeds): add fewer feeds`,
      ]);
    }
    const after = parseOrRefuse(result.text, path, `${what} would leave ${path} invalid, so nothing was written`);
    try {
      writeFileAtomic(path, result.text, { beforeRename: () => assertUnchanged(path, text) });
      return { before, after, edit, result };
    } catch (error) {
      if (!(error instanceof ChangedMeanwhile)) throw error;
      if (attempt === ATTEMPTS)
        throw new Error(`config: ${path} kept changing while ${what} was written; nothing was written, try again`, { cause: error });
    }
  }
}

class ChangedMeanwhile extends Error {}

/**
 * A file its user may not write (chmod a-w, or another user's) is managed elsewhere: replacing
 * it by rename, which a writable folder allows (and root always may), would overrule that.
 */
function refuseReadOnly(path: string, what: string): void {
  const stats = statSync(path);
  let writable = (stats.mode & 0o222) !== 0;
  try {
    if (writable) accessSync(path, constants.W_OK);
  } catch {
    writable = false;
  }
  if (writable) return;
  const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
  throw new ConfigEditRefused(`${what}: nothing was written`, [
    `${path} is read-only for this user (mode ${mode}, owner uid ${stats.uid}); make it writable (chmod u+w), or run as its owner, to edit it with columnwire`,
  ]);
}

function assertUnchanged(path: string, expected: string): void {
  let current: string;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    throw new ChangedMeanwhile();
  }
  if (current !== expected) throw new ChangedMeanwhile();
}

function parseOrRefuse(text: string, path: string, intro: string): Config {
  try {
    return parseConfig(text, path);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigEditRefused(intro, error.problems);
    throw error;
  }
}
