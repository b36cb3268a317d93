/**
 * `columnwire poll` as a cron user runs it: a new process per pass over the feed server's set,
 * against a data folder of its own. Fresh (version 1, empty folder), changed (version 2: one
 * new column of 50 per feed) and all-304 (version 2 again, repeated); each checked from the
 * command's own output.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectedStories, type FeedSetSpec } from './generate-feeds.ts';
import { benchConfigYaml, type FeedServer } from './ingest.ts';
import { CONCURRENCY, type BenchLog } from './ingest-passes.ts';
import { fmt } from './measure.ts';
import { BIN, runNode, summarizeRuns, type ProcessRun, type RepeatedRun } from './process-runs.ts';

/** All-304 runs of the whole process (median reported); fresh and changed run once. */
const REPS_304 = 3;

export interface PollProcesses {
  feeds: number;
  /** Items a fresh or changed pass parses. */
  items: number;
  configPath: string;
  dataDir: string;
  fresh: ProcessRun;
  changed: ProcessRun;
  notModified: RepeatedRun;
}

/** The totals of `columnwire poll`'s last line ("1000 feeds: 45500 new, 0 updated, …, 0 failed"), and the items its feed lines count. */
function readPollOutput(stdout: string) {
  const match = /^(\d+) feeds?: (\d+) new, (\d+) updated, (\d+) unchanged, (\d+) not modified, (\d+) skipped, (\d+) failed/m.exec(stdout);
  if (!match) return null;
  const [feeds, added, updated, unchanged, notModified, skipped, failed] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  let items = 0;
  for (const line of stdout.matchAll(/^bench-\d+: .*\((\d+) items?[;)]/gm)) items += Number(line[1]);
  return { feeds, added, updated, unchanged, notModified, skipped, failed, items };
}

/** Runs the three passes in new processes; leaves the server on version 2. */
export async function benchPollProcesses(log: BenchLog, server: FeedServer, spec: FeedSetSpec, dir: string): Promise<PollProcesses> {
  const { feeds } = spec;
  const items = feeds * spec.itemsPerFeed;
  await mkdir(dir, { recursive: true });
  const configPath = join(dir, 'feeds.yaml');
  const dataDir = join(dir, 'data');
  await writeFile(configPath, benchConfigYaml(server.urls, CONCURRENCY));
  const poll = () => runNode([BIN, '--config', configPath, '--data', dataDir, 'poll'], dir);
  const label = `poll process, ${fmt(feeds)} feeds`;
  const describe = (run: ProcessRun): string => {
    const totals = readPollOutput(run.stdout);
    if (run.code !== 0 || !totals) return `exit ${run.code}, stderr: ${run.stderr.trim().slice(0, 300) || '(empty)'}`;
    return `${fmt(totals.added)} new, ${fmt(totals.updated)} updated, ${fmt(totals.unchanged)} unchanged, ${fmt(totals.notModified)} not modified, ${totals.failed} failed, ${fmt(totals.items)} items`;
  };

  await server.setVersion(1);
  const fresh = await poll();
  const freshTotals = readPollOutput(fresh.stdout);
  const expected = expectedStories(spec);
  log.check(
    fresh.code === 0 && freshTotals?.added === expected && freshTotals.failed === 0 && freshTotals.items === items,
    `${label}, fresh: ${describe(fresh)}; expected ${fmt(expected)} new of ${fmt(items)} items, 0 failed`,
  );

  await server.setVersion(2);
  const changed = await poll();
  const changedTotals = readPollOutput(changed.stdout);
  log.check(
    changed.code === 0 && changedTotals?.added === feeds && changedTotals.updated === 0 && changedTotals.failed === 0,
    `${label}, changed: ${describe(changed)}; expected ${fmt(feeds)} new, 0 updated, 0 failed`,
  );

  const runs304: ProcessRun[] = [];
  for (let rep = 0; rep < REPS_304; rep++) runs304.push(await poll());
  const notModified = runs304.map((run) => (run.code === 0 ? readPollOutput(run.stdout)?.notModified : undefined));
  log.check(
    notModified.every((n) => n === feeds),
    `${label}, all-304: ${notModified.map((n) => n ?? 'no summary').join(', ')} of ${feeds} not modified in the ${REPS_304} runs`,
  );
  const notModifiedRuns = summarizeRuns(runs304);

  const perS = (count: number, ms: number): number => count / (ms / 1000);
  for (const [what, run, parsed] of [
    ['fresh (200), once', fresh, items],
    [`changed (1 new of ${spec.itemsPerFeed}), once`, changed, items],
  ] as const) {
    log.rows.push({
      what: `columnwire poll process, ${what}`,
      work: `${fmt(feeds)} feeds, ${fmt(parsed)} items`,
      ms: run.wallMs,
      cpuMs: run.cpuMs,
      feedsPerS: perS(feeds, run.wallMs),
      itemsPerS: perS(parsed, run.wallMs),
      peakRssMb: run.maxRssMb,
    });
  }
  log.rows.push({
    what: `columnwire poll process, all 304, median of ${REPS_304}`,
    work: `${fmt(feeds)} feeds`,
    ms: notModifiedRuns.wallMs,
    cpuMs: notModifiedRuns.cpuMs,
    feedsPerS: perS(feeds, notModifiedRuns.wallMs),
    peakRssMb: notModifiedRuns.maxRssMb,
  });
  return { feeds, items, configPath, dataDir, fresh, changed, notModified: notModifiedRuns };
}
