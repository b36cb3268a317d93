/** `columnwire poll [--feed ID] [--force]`: one poll cycle now, a line per feed. */
import { countOutcomes, pollAll } from '../feeds/poll-all.ts';
import type { Feed, PollOutcome } from '../model.ts';
import { redactSecrets } from '../redact.ts';
import { batchLines } from './batch-lines.ts';
import { parseCommandArgs, withApp, type Command } from './command.ts';

const help = `Usage: columnwire poll [--feed ID] [--force]

Runs one poll cycle now and prints a line per feed: new, updated and unchanged items
(unchanged: already stored, from this feed or another; skipped: items with no title, link
or text, which are never stored), not modified, skipped, or the error. Feeds backing off after errors or asked to wait by their server (Retry-After) are
skipped unless --force. Exit 0 when the cycle ran, even if single feeds failed (see
"columnwire feeds" for their state); with --feed, exit 1 when that feed failed.

Options:
  --feed ID    poll only this feed
  --force      fetch feeds that are backing off or were asked to wait, too
  -h, --help   show this help`;

export const pollCommand: Command = {
  name: 'poll',
  help,
  async run({ argv, globals, stdout, stderr }) {
    const { values } = parseCommandArgs('poll', argv, { feed: { type: 'string' }, force: { type: 'boolean' } });
    return withApp(globals, async (app) => {
      const total = values.feed === undefined ? app.config.feeds.length : 1;
      let done = 0;
      const progress = stderr.isTTY === true;
      // Beside a progress line on a terminal, each line goes out as it comes; otherwise in batches.
      const lines = progress ? { write: (text: string) => void stdout.write(text), flush: () => {} } : batchLines(stdout);
      const summary = await pollAll(app.config, app.poll, {
        mode: 'manual',
        force: values.force ?? false,
        ...(values.feed !== undefined ? { feedId: values.feed } : {}),
        onResult(feed, outcome) {
          done++;
          if (progress) stderr.write('\r\x1b[K');
          lines.write(`${formatOutcome(feed, outcome)}\n`);
          if (progress && done < total) stderr.write(`[${done}/${total}] polling...`);
        },
      }).finally(() => lines.flush());
      const totals = countOutcomes(summary.results);
      const notStored = [
        totals.emptyItems > 0 ? `${count(totals.emptyItems, 'item')} with nothing to show skipped` : '',
        totals.droppedItems > 0 ? `${count(totals.droppedItems, 'item')} past poll.maxItemsPerFeed dropped` : '',
        totals.unpickedItems > 0 ? `${count(totals.unpickedItems, 'item')} by authors not picked left out` : '',
        summary.pruned > 0 ? `${count(summary.pruned, 'old story', 'old stories')} pruned` : '',
      ].filter(Boolean);
      stdout.write(
        `${count(totals.feeds, 'feed')}: ${totals.added} new, ${totals.updated} updated, ${totals.duplicates} unchanged, ` +
          `${totals.notModified} not modified, ${totals.skipped} skipped, ${totals.failed} failed` +
          `${notStored.map((part) => `; ${part}`).join('')} (${summary.durationMs} ms)\n`,
      );
      // Asked for one feed, its failure is the command's failure (scripts and cron check the status).
      return values.feed !== undefined && totals.failed > 0 ? 1 : 0;
    });
  },
};

/** One line for one feed's outcome. */
export function formatOutcome(feed: Feed, outcome: PollOutcome): string {
  switch (outcome.kind) {
    case 'stored':
      return (
        `${feed.id}: ${outcome.added} new, ${outcome.updated} updated, ${outcome.duplicates} unchanged` +
        `${outcome.emptyItems > 0 ? `, ${outcome.emptyItems} skipped with nothing to show` : ''}` +
        `${outcome.unpickedItems > 0 ? `, ${outcome.unpickedItems} by authors not picked left out` : ''}` +
        ` (${count(outcome.itemCount + outcome.emptyItems + outcome.unpickedItems, 'item')}` +
        `${outcome.droppedItems > 0 ? `; ${outcome.droppedItems} older past poll.maxItemsPerFeed dropped` : ''})`
      );
    case 'not-modified':
      return `${feed.id}: not modified`;
    case 'skipped':
      if (outcome.reason === 'busy') return `${feed.id}: skipped (database busy: another process held it locked; tried again next cycle)`;
      return `${feed.id}: skipped (${outcome.reason === 'retry-after' ? 'server asked to wait' : outcome.reason === 'backoff' ? 'backing off after errors' : 'next fetch'} until ${outcome.until.toISOString()}; --force to fetch now)`;
    case 'failed':
      return `${feed.id}: failed: ${redactSecrets(outcome.error, [feed.url, feed.configuredUrl, feed.source.url])} (retry after ${outcome.nextFetchAt.toISOString()})`;
  }
}

/** "1 feed", "2 feeds": `plural` for nouns that do not just take an s. */
function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
