/** Errors the CLI maps to exit code 2: the user asked for something malformed. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The message of any thrown value, for one-line reports. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
