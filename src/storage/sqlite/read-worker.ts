/**
 * A search thread (read-threads.ts): a read-only connection to the database, answering one
 * full-text search at a time with the same statements as the main connection (story-store.ts).
 * Ranking a search costs 5–15 ms of CPU over 100,000 stories; here it holds neither the event
 * loop that answers pages, feeds and /healthz, nor the other core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SearchHit, SearchQuery } from '../store.ts';
import { openDatabaseReadOnly } from './database.ts';
import { createStoryStore } from './story-store.ts';

/** A search for the thread, numbered by the pool. */
export interface SearchJobMessage {
  id: number;
  query: SearchQuery;
}

/** The thread's answer to job `id`, or why it has none. */
export type SearchReplyMessage = { id: number; hits: SearchHit[] } | { id: number; error: string };

const { path } = workerData as { path: string };
const db = openDatabaseReadOnly(path);
const stories = createStoryStore(db);
// One snapshot for the page, its sources and its snippets, whatever the writer commits meanwhile.
const search = db.transaction((query: SearchQuery) => stories.search(query));
parentPort!.on('message', ({ id, query }: SearchJobMessage) => {
  let reply: SearchReplyMessage;
  try {
    reply = { id, hits: search(query) };
  } catch (error) {
    reply = { id, error: (error as Error).message ?? String(error) };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ready: true });
