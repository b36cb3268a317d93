/** Errors the CLI maps to exit code 2: the user asked for something malformed. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = 2;
}

/** The exit code for an error that reached the CLI: 2 when the user must fix the command or config (errors carrying `exitCode = 2`), else 1. */
export function exitCodeOf(error: unknown): 1 | 2 {
  return (error as { exitCode?: unknown } | null)?.exitCode === 2 ? 2 : 1;
}

/** The message of any thrown value, for one-line reports. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
