/** The problems a config text is rejected with, for config validation tests. */
import { ConfigError, parseConfig } from '../../src/config/load.ts';

/** Parses `yaml` as feeds.yaml and returns its ConfigError's problems; fails when it is accepted. */
export function problemsOf(yaml: string): string[] {
  try {
    parseConfig(yaml, 'feeds.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
