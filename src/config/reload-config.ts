/** The config read again for a running service, which must not mistake a save in progress for the new config. */
import { ConfigError, parseConfig, readConfigText, type Config } from './load.ts';

/**
 * Reads and validates the config file as loadConfig does, but refuses an empty file: at start
 * it means "no feeds, every default", while to a running service it is what a save that
 * truncates the file and then writes it (nano, `>` in a shell) shows in between, and reading it
 * would drop every feed and digest, then fetch every feed again when the text arrives.
 */
export function reloadConfig(path: string): Config {
  const text = readConfigText(path);
  if (text.replace(/^\ufeff/, '').trim() === '') {
    throw new ConfigError([
      `${path}:1: the file is empty (a save still being written?); to remove every feed and setting, write "feeds: []"`,
    ]);
  }
  return parseConfig(text, path);
}
