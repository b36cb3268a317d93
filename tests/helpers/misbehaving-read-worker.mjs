// A stand-in for the search worker (read-threads.ts): a database path ending in "fail-at-start"
// makes the thread throw before it is ready; a search with limit 13 ends the thread mid-search;
// any other search answers at once with one hit naming its limit.
import { parentPort, workerData } from 'node:worker_threads';

if (workerData.path.endsWith('fail-at-start')) throw new Error('cannot open the database');
parentPort.on('message', ({ id, query }) => {
  if (query.limit === 13) process.exit(3);
  parentPort.postMessage({ id, hits: [{ limit: query.limit }] });
});
parentPort.postMessage({ ready: true });
