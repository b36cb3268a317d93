import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { column, startDigestApp } from '../helpers/digest-app.ts';
import { CLI } from '../helpers/run-cli.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const RECIPIENTS = Array.from({ length: 300 }, (_, n) => `reader${String(n).padStart(3, '0')}@example.org`);
/** Each sender is killed once the server has accepted this many more messages from it. */
const ACCEPTED_PER_LIFE = 20;
/** SMTP connections in flight at once: the digest sends 5 at a time over a pool of 5. */
const CONNECTIONS = 5;

describe('a 300-recipient digest whose sender is killed again and again', () => {
  it('re-sends at most one copy per connection in flight per kill, and misses nobody', async () => {
    const digestApp = await startDigestApp({
      root,
      digests: `  - id: daily\n    to:\n${RECIPIENTS.map((address) => `      - ${address}\n`).join('')}`,
      now: null,
    });
    const now = new Date();
    await digestApp.save('jane', [column('k1', now, 2), column('k2', now, 1)]);
    const smtp = await smtpServerForTest();
    const env = { ...process.env, SMTP_URL: smtp.url, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' };
    const inFlightPerKill: number[] = [];
    for (let life = 0; life < 200; life++) {
      const acceptedAtStart = smtp.messages.length;
      const child = spawn(process.execPath, [CLI, '--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env,
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
      onTestFinished(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      // Timed on the server's side: the kill lands right after a 250, inside the reply-to-commit gap.
      smtp.options.afterMessage = ({ accepted }) => {
        if (accepted - acceptedAtStart >= ACCEPTED_PER_LIFE) child.kill('SIGKILL');
      };
      const { code, signal } = await exited;
      delete smtp.options.afterMessage;
      if (signal === null) {
        expect(code, stderr).toBe(0);
        break;
      }
      expect(signal).toBe('SIGKILL');
      // Let a message whose DATA the server had already taken finish parsing: it counts as accepted.
      await smtp.settled();
      const [run] = await digestApp.app.store.listDigestRuns('daily', 1);
      const recorded = new Set(
        (await digestApp.app.store.deliveries(run!.id))
          .filter((delivery) => delivery.status === 'sent')
          .map((delivery) => delivery.address),
      );
      // Accepted by the server but not recorded as sent: these are the copies the next sender re-sends.
      const unrecorded = new Set(smtp.messages.flatMap((message) => message.rcptTo).filter((address) => !recorded.has(address)));
      inFlightPerKill.push(unrecorded.size);
    }
    const kills = inFlightPerKill.length;
    const duplicates = smtp.messages.length - RECIPIENTS.length;
    const maxInFlight = Math.max(0, ...inFlightPerKill);
    console.log(`kills ${kills}, in-flight per kill ≤ ${maxInFlight}, duplicates ${duplicates}`);

    const [run] = await digestApp.app.store.listDigestRuns('daily', 10);
    expect(run).toMatchObject({ status: 'done' });
    const deliveries = await digestApp.app.store.deliveries(run!.id);
    expect(deliveries.filter((delivery) => delivery.status !== 'sent')).toEqual([]);
    const missing = RECIPIENTS.filter((address) => smtp.messagesTo(address).length === 0);
    expect(missing).toEqual([]);
    // Every copy of a recipient carries the one stable Message-ID, so a resent copy is recognisably the same.
    for (const delivery of deliveries)
      expect(new Set(smtp.messagesTo(delivery.address).map((copy) => copy.parsed.messageId))).toEqual(new Set([delivery.messageId]));
    expect(kills).toBeGreaterThanOrEqual(10);
    expect(maxInFlight).toBeLessThanOrEqual(CONNECTIONS);
    expect(duplicates).toBeLessThanOrEqual(kills * CONNECTIONS);
    expect(duplicates).toBe(inFlightPerKill.reduce((sum, count) => sum + count, 0));
  }, 600_000);
});
