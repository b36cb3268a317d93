/** `columnwire stats [--json]`: the figures /metrics exports, for a human, read from the database. */
import { listFeeds } from '../feeds/list-feeds.ts';
import { redactSecrets } from '../redact.ts';
import { maxPollAgeMs, judgeReadiness } from '../readiness.ts';
import { scheduleMaxGapMinutes } from '../scheduler.ts';
import { parseCommandArgs, withApp, type Command } from './command.ts';

const help = `Usage: columnwire stats [--json]

Prints the service's figures from the database, the same ones GET /metrics exports:
fetches by outcome, stories stored, feeds in error (with their errors), digest messages
sent, failed and pending, and when the last poll cycle finished. Works whether or not
the service is running. (Fetch durations are per process: see /metrics.)

Options:
  --json       print the figures as JSON
  -h, --help   show this help`;

export const statsCommand: Command = {
  name: 'stats',
  help,
  async run({ argv, globals, stdout }) {
    const { values } = parseCommandArgs('stats', argv, { json: { type: 'boolean' } });
    return withApp(
      globals,
      async (app) => {
        const stats = await app.store.readStats();
        const now = new Date();
        const readiness = judgeReadiness(stats, now, maxPollAgeMs(scheduleMaxGapMinutes(app.config.poll.schedule)));
        const failing = (await listFeeds(app.config, app.store))
          .filter((feed) => feed.consecutiveErrors > 0)
          .map((feed) => ({
            id: feed.id,
            consecutiveErrors: feed.consecutiveErrors,
            lastError: feed.lastError === null ? null : redactSecrets(feed.lastError, [feed.url, feed.configuredUrl, feed.source.url]),
            nextFetchAt: feed.nextFetchAt?.toISOString() ?? null,
          }));
        const digests = new Map<string, Record<string, number>>();
        for (const { digestId, status, count } of stats.digestMessages)
          digests.set(digestId, { ...digests.get(digestId), [status]: count });
        if (values.json) {
          stdout.write(
            `${JSON.stringify(
              {
                ...stats,
                lastPollCycleAt: stats.lastPollCycleAt?.toISOString() ?? null,
                lastSuccessfulFetchAt: stats.lastSuccessfulFetchAt?.toISOString() ?? null,
                digestMessages: Object.fromEntries(digests),
                feedsFailing: failing,
                ready: readiness.ready,
              },
              null,
              2,
            )}\n`,
          );
          return 0;
        }
        const n = (value: number) => value.toLocaleString('en-US');
        const ago = (date: Date | null) => (date ? `${date.toISOString()} (${describeAge(now.getTime() - date.getTime())} ago)` : 'never');
        const lines = [
          `Feeds            ${n(stats.feeds)} in the config, ${n(stats.feedsInError)} in error`,
          `Stories          ${n(stats.stories)} stored now; ${n(stats.counters['stories.added'])} added and ${n(stats.counters['stories.updated'])} updated in all`,
          `Fetches          ${n(stats.counters['fetches.stored'])} with content, ${n(stats.counters['fetches.not_modified'])} not modified, ${n(stats.counters['fetches.failed'])} failed`,
          `Last poll cycle  ${ago(stats.lastPollCycleAt)}`,
          `Last good fetch  ${ago(stats.lastSuccessfulFetchAt)}`,
          `Ready            ${readiness.ready ? 'yes' : `no: ${readiness.reason}`}`,
        ];
        if (digests.size === 0) lines.push('Digests          none sent yet');
        for (const [digestId, counts] of digests) {
          lines.push(
            `Digest ${digestId.padEnd(9)} ${n(counts.sent ?? 0)} sent, ${n(counts.failed ?? 0)} failed, ${n(counts.pending ?? 0)} pending`,
          );
        }
        if (failing.length > 0) {
          lines.push('', 'Feeds in error:');
          for (const feed of failing)
            lines.push(
              `  ${feed.id}: ${feed.consecutiveErrors} in a row, last: ${feed.lastError ?? '?'}${feed.nextFetchAt ? `; next try ${feed.nextFetchAt}` : ''}`,
            );
        }
        stdout.write(`${lines.join('\n')}\n`);
        return 0;
      },
      'read-only',
    );
  },
};

function describeAge(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}
