/**
 * A read thread (read-threads.ts): a read-only connection to the database, answering one read
 * at a time with the same statements as the main connection (story-store.ts). Ranking a search
 * costs 5–15 ms of CPU over 100,000 stories, counting the site directory's bylines 13–20 ms;
 * here they hold neither the event loop that answers pages, feeds and /healthz, nor the other core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BylineStat, SearchHit, SearchQuery } from '../store.ts';
import { openDatabaseReadOnly } from './database.ts';
import { createStoryStore } from './story-store.ts';

/** What a thread reads: a page of a search, or the byline stats. */
export type ReadJob = { kind: 'search'; query: SearchQuery } | { kind: 'byline-stats' };

/** What a job of each kind answers. */
export interface ReadResults {
  search: SearchHit[];
  'byline-stats': BylineStat[];
}

/** A job for the thread, numbered by the pool. */
export interface ReadJobMessage {
  id: number;
  job: ReadJob;
}

/** The thread's answer to job `id`, or why it has none. */
export type ReadReplyMessage = { id: number; result: ReadResults[ReadJob['kind']] } | { id: number; error: string };

const { path } = workerData as { path: string };
const db = openDatabaseReadOnly(path);
const stories = createStoryStore(db);
// One snapshot per job (a search's page, its sources and its snippets), whatever the writer commits meanwhile.
const read = db.transaction((job: ReadJob) => (job.kind === 'search' ? stories.search(job.query) : stories.bylineStats()));
parentPort!.on('message', ({ id, job }: ReadJobMessage) => {
  let reply: ReadReplyMessage;
  try {
    reply = { id, result: read(job) };
  } catch (error) {
    reply = { id, error: (error as Error).message ?? String(error) };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ready: true });
