/** `columnwire digest`: send digests now, preview them, or report on past runs. */
import { writeFile } from 'node:fs/promises';
import { listSubscribers } from '../digest/list-subscribers.ts';
import { composeMessage, previewDigest, runDigest, type RunReport } from '../digest/run-digest.ts';
import type { DeliveryStatus, DigestRun } from '../model.ts';
import { parseCommandArgs, withApp, type Command } from './command.ts';
import { escapeControls } from './format-table.ts';
import { selectDigests } from './select-digests.ts';
import { retentionCutoff } from '../support/retention.ts';

const help = `Usage: columnwire digest [--id ID] [--dry-run] [--preview FILE] [--to ADDR] [--status]
                         [--resubscribe ADDR [--id ID]]

Sends each digest (or one) now: first what an interrupted run still owes, then a new run
covering the stories stored since the previous run. Mail goes to SMTP_URL
(smtp://user:pass@host:587, smtps://...) or, without it, to .eml files in <data>/outbox.

Options:
  --id ID              only this digest
  --dry-run            print recipients, subject and stories; send nothing, move no cursor
  --preview FILE       write the next digest's HTML to FILE for a browser; send nothing
  --to ADDR            send a test copy of the next digest to ADDR only; move no cursor
  --status             list recent runs with what was sent, failed or is still pending
                       (with the first errors, while the run keeps its copies:
                       deliveryRetentionDays), and who unsubscribed and when (all
                       recipients: columnwire subscribers)
  --resubscribe ADDR   undo ADDR's unsubscribes (with --id, from that digest only); links
                       mailed before then no longer unsubscribe
  -h, --help           show this help`;

/** Copies not sent that --status lists per run, with their errors (failed first: store.deliveryErrors). */
const ERRORS_SHOWN = 20;

/** Whether `run` finished longer ago than its copies are kept. */
function wasPruned(run: DigestRun, retentionDays: number, now: Date): boolean {
  const before = retentionCutoff(now, retentionDays);
  return before !== null && run.finishedAt !== null && run.finishedAt < before;
}

export const digestCommand: Command = {
  name: 'digest',
  help,
  async run({ argv, globals, stdout }) {
    const { values } = parseCommandArgs('digest', argv, {
      id: { type: 'string' },
      'dry-run': { type: 'boolean' },
      preview: { type: 'string' },
      to: { type: 'string' },
      status: { type: 'boolean' },
      resubscribe: { type: 'string' },
    });
    return withApp(globals, async (app) => {
      const print = (line: string) => stdout.write(`${line}\n`);
      if (values.resubscribe !== undefined) {
        const only = values.id === undefined ? null : selectDigests('digest', app.config.digests, values.id, app.config.path)[0]!.id;
        const had = await app.store.resubscribe(values.resubscribe, only, new Date());
        const which = only === null ? 'digests' : `the "${only}" digest`;
        print(had ? `${values.resubscribe} will get ${which} again` : `${values.resubscribe} was not unsubscribed from ${which}`);
        return 0;
      }
      const digests = selectDigests('digest', app.config.digests, values.id, app.config.path);
      if (values.status) {
        for (const digest of digests) {
          const runs = await app.store.listDigestRuns(digest.id, 10);
          print(`${digest.id}: ${runs.length === 0 ? 'never sent' : `${runs.length} recent run(s)`}`);
          for (const run of runs) {
            const counts = await app.store.deliveryCounts(run.id);
            const count = (status: DeliveryStatus) => counts[status] ?? 0;
            print(
              `  run ${run.id} ${run.createdAt.toISOString()} ${run.status}: ${run.storyIds.length} stories, ${count('sent')} sent, ${count('failed')} failed, ${count('pending')} pending — ${run.subject}`,
            );
            const errors = await app.store.deliveryErrors(run.id, ERRORS_SHOWN + 1);
            // An error may quote a remote server or a bounce's diagnostic: its control characters are shown, not obeyed.
            for (const failed of errors.slice(0, ERRORS_SHOWN))
              print(`    ${failed.address}: ${failed.status}: ${escapeControls(failed.lastError ?? '')}`);
            if (errors.length > ERRORS_SHOWN) print(`    … and more not sent: the first ${ERRORS_SHOWN} are shown`);
            if (errors.length === 0 && count('failed') > 0 && wasPruned(run, app.config.deliveryRetentionDays, new Date()))
              print(`    (each copy's error was pruned with the run's copies, deliveryRetentionDays after it finished)`);
          }
          for await (const gone of listSubscribers([digest], app.store)) {
            if (gone.state !== 'unsubscribed') continue;
            print(`  unsubscribed: ${gone.address} since ${gone.since!.toISOString()}${gone.scope === 'all' ? ' (from all digests)' : ''}`);
          }
        }
        return 0;
      }
      const deps = await app.digestDeps();
      try {
        if (values['dry-run'] || values.preview !== undefined || values.to !== undefined) {
          for (const digest of digests) {
            const now = deps.now();
            const preview = await previewDigest(digest, deps, now);
            if (values['dry-run']) {
              print(
                `${digest.id}: "${preview.subject}" to ${preview.recipients.join(', ') || '(nobody)'}${preview.stories.length === 0 && digest.skipEmpty ? ' (nothing new: would not send)' : ''}`,
              );
              for (const story of preview.stories)
                print(`  - ${story.title ?? '(untitled)'}${story.author ? ` (${story.author})` : ''} ${story.link ?? ''}`.trimEnd());
            }
            if (values.preview !== undefined) {
              const file = digests.length > 1 ? values.preview.replace(/(\.html?)?$/, `-${digest.id}$1`) : values.preview;
              await writeFile(file, preview.html);
              print(`${digest.id}: preview written to ${file}`);
            }
            if (values.to !== undefined) {
              const rendered = {
                subject: preview.subject,
                fullStories: preview.stories.length,
                html: () => preview.html,
                text: () => preview.text,
              };
              const messageId = `<test.${digest.id}.${now.getTime()}@columnwire.localhost>`;
              const epoch = (await app.store.subscriptionState(values.to, digest.id))?.epoch;
              const outcome = await deps.mailer.send(composeMessage(digest, rendered, values.to, messageId, deps, now, epoch));
              if (outcome.kind !== 'sent') throw new Error(`digest: test copy to ${values.to} failed: ${outcome.error}`);
              print(`${digest.id}: test copy sent to ${values.to} via ${deps.mailer.describe}`);
            }
          }
          return 0;
        }
        let owed = 0;
        for (const digest of digests) {
          const result = await runDigest(digest, deps);
          for (const run of result.runs) print(formatRun(digest.id, run));
          if (result.kind === 'empty') print(`${digest.id}: nothing new since the last digest; not sent (skipEmpty)`);
          owed += result.runs.reduce((sum, run) => sum + run.pending, 0);
        }
        return owed > 0 ? 1 : 0;
      } finally {
        deps.mailer.close();
      }
    });
  },
};

function formatRun(digestId: string, run: RunReport): string {
  const state = run.done
    ? 'done'
    : run.pending > 0
      ? `${run.pending} still pending (retried on the next run)`
      : `${run.sending} being sent by another process`;
  return `${digestId}: run ${run.runId}: ${run.stories} stories, ${run.sent} sent, ${run.failed} failed, ${state} — ${run.subject}`;
}
