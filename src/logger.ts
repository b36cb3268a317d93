/**
 * The one pino logger, made by the composition root and passed down. It writes to stderr
 * (stdout is for command output): JSON lines, or readable lines when stderr is a terminal.
 * LOG_LEVEL sets the level; LOG_FORMAT=json or pretty overrides the choice of format.
 */
import { createRequire } from 'node:module';
import { pino } from 'pino';
import type pinoPretty from 'pino-pretty';
import { redactSecrets } from './redact.ts';

export type Logger = pino.Logger;

/** Field names whose values never reach a log line, wherever they are nested. */
const SECRET_KEYS = ['password', 'pass', 'secret', 'token', 'smtpUrl', 'authorization', 'auth'];

export interface LoggerOptions {
  level?: string;
  /** Readable lines instead of JSON; default: when stderr is a terminal (LOG_FORMAT overrides). */
  pretty?: boolean;
  /** Where lines go; default stderr. Tests pass a stream. */
  destination?: NodeJS.WritableStream;
}

/** Creates the process logger. */
export function createLogger(options: LoggerOptions = {}, env: NodeJS.ProcessEnv = process.env): Logger {
  const level = options.level ?? (env.LOG_LEVEL || 'info');
  const format = env.LOG_FORMAT?.toLowerCase();
  const readable = format === 'pretty' ? true : format === 'json' ? false : (options.pretty ?? process.stderr.isTTY === true);
  const settings: pino.LoggerOptions = {
    level,
    base: { name: 'columnwire' },
    redact: { paths: SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]), censor: '[redacted]' },
    // A safety net under the callers' own redaction: any URL in a message, a field or an
    // error (a fetch error quoting `user:pass@` or `?token=`) is masked before it is written.
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((arg) => redactValue(arg, 0));
        // logger.error(err) alone takes err.message as the line's msg, past the serializer.
        const [first] = args;
        if (first instanceof Error && typeof args[1] !== 'string') redacted.splice(1, 0, redactValue(first.message, 0));
        method.apply(this, redacted as Parameters<typeof method>);
      },
    },
    serializers: { err: redactError },
  };
  if (readable) {
    // Loaded only for a terminal: JSON logs (services, cron) never pay for the pretty printer.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof pinoPretty;
    return pino(
      settings,
      pretty({
        destination: options.destination ?? 2,
        sync: true,
        colorize: !options.destination && process.stderr.isTTY === true,
        singleLine: true,
        ignore: 'pid,hostname,name',
        translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
      }),
    );
  }
  return pino(settings, options.destination ?? pino.destination(2));
}

/** pino's error serializer, with the message and stack (which quote the message) redacted. */
function redactError(error: Error): pino.SerializedError {
  const serialized = pino.stdSerializers.err(error);
  serialized.message = redactValue(serialized.message, 0) as string;
  if (typeof serialized.stack === 'string') serialized.stack = redactValue(serialized.stack, 0) as string;
  return serialized;
}

/** Strings with their URL secrets masked, through plain objects and arrays (a few levels deep). */
function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (depth > 3 || typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return value; // serialized (and redacted) by the err serializer
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactValue(item, depth + 1);
  return out;
}
