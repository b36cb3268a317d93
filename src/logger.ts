/** The one pino logger, made by app.ts and passed down; JSON lines on stderr, `LOG_LEVEL` sets the level. */
import { pino } from 'pino';

export type Logger = pino.Logger;

/** Creates the process logger writing to stderr (stdout is for command output). */
export function createLogger(level: string = process.env.LOG_LEVEL || 'info'): Logger {
  return pino({ level, base: { name: 'columnwire' } }, pino.destination(2));
}
