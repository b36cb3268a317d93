import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { column, startDigestApp } from '../helpers/digest-app.ts';
import { CLI, runCli } from '../helpers/run-cli.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const RECIPIENTS = Array.from({ length: 40 }, (_, n) => `reader${String(n).padStart(2, '0')}@example.org`);
const ACCEPTED_BEFORE_KILL = 10;
/** Messages in flight at once: the digest sends 5 at a time over a pool of 5 SMTP connections. */
const IN_FLIGHT = 5;

describe('a digest run killed mid-send', () => {
  it('resumes on the next run and gives every recipient exactly one copy', async () => {
    // The CLI runs on the real clock, so the stories are stored "now".
    const digestApp = await startDigestApp({
      root,
      digests: `  - id: daily\n    to:\n${RECIPIENTS.map((address) => `      - ${address}\n`).join('')}`,
      now: null,
    });
    const now = new Date();
    await digestApp.save('jane', [column('c1', now, 2, { title: 'A column before the crash' }), column('c2', now, 1)]);
    const smtp = await smtpServerForTest({ holdAfter: ACCEPTED_BEFORE_KILL });
    const env = { ...process.env, SMTP_URL: smtp.url, LOG_LEVEL: 'silent' };
    const child = spawn(process.execPath, [CLI, '--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest'], {
      stdio: 'ignore',
      env,
    });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Ten messages get 250; the rest are held unanswered. Once every slot holds an unanswered
    // message, the ten are recorded as sent (a slot frees only after its delivery is marked),
    // so the kill lands mid-run at the same point every time.
    smtp.options.afterMessage = ({ held }) => {
      if (held === IN_FLIGHT) child.kill('SIGKILL');
    };
    expect(await exited).toBe('SIGKILL');
    expect(smtp.messages).toHaveLength(ACCEPTED_BEFORE_KILL);

    const [run] = await digestApp.app.store.listDigestRuns('daily', 10);
    expect(run).toMatchObject({ status: 'sending' });
    const afterKill = await digestApp.app.store.deliveries(run!.id);
    expect(afterKill).toHaveLength(40);
    const sentAddresses = afterKill.filter((delivery) => delivery.status === 'sent').map((delivery) => delivery.address);
    expect(sentAddresses.sort()).toEqual(smtp.messages.map((message) => message.rcptTo[0]).sort());

    smtp.options = {};
    const rerun = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest'], { env: { SMTP_URL: smtp.url } });
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain(`daily: run ${run!.id}: 2 stories, 40 sent, 0 failed, done`);

    const deliveries = await digestApp.app.store.deliveries(run!.id);
    expect(deliveries.every((delivery) => delivery.status === 'sent')).toBe(true);
    expect(smtp.messages).toHaveLength(40);
    for (const delivery of deliveries) {
      const copies = smtp.messagesTo(delivery.address);
      expect(copies.map((copy) => copy.parsed.messageId)).toEqual([delivery.messageId]);
      expect(copies[0]!.parsed.subject).toBe(run!.subject);
    }
    expect(new Set(smtp.messages.map((message) => message.parsed.messageId)).size).toBe(40);
    expect((await digestApp.app.store.listDigestRuns('daily', 10)).map((each) => each.status)).toEqual(['done']);
  }, 90_000); // two CLI starts: slow on a loaded machine
});
