/** One run of a test app's `daily` digest through a given SMTP URL, with what it logged. */
import { Writable } from 'node:stream';
import { runDigest, type DigestResult } from '../../src/digest/run-digest.ts';
import { createLogger } from '../../src/logger.ts';
import type { DigestApp } from './digest-app.ts';

export interface LoggedRun {
  result: DigestResult;
  /** The log as written: JSON lines. */
  text: string;
  /** The same lines, parsed. */
  lines: Array<Record<string, unknown> & { msg: string }>;
}

/** Runs `daily` via `smtpUrl` with an info-level JSON logger the test reads; the mailer is closed after. */
export async function runLoggedDigest(digestApp: DigestApp, smtpUrl: string): Promise<LoggedRun> {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  const deps = { ...(await digestApp.deps(smtpUrl)), logger: createLogger({ level: 'info', pretty: false, destination }, {}) };
  try {
    const result = await runDigest(digestApp.digest('daily'), deps);
    const lines = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as LoggedRun['lines'][number]);
    return { result, text, lines };
  } finally {
    deps.mailer.close();
  }
}
