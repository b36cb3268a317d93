// A stand-in for the read worker (read-threads.ts): a database path ending in "fail-at-start"
// makes the thread throw before it is ready; a search with limit 13 ends the thread mid-search;
// any other search answers at once with one hit naming its limit, and byline stats with none.
import { parentPort, workerData } from 'node:worker_threads';

if (workerData.path.endsWith('fail-at-start')) throw new Error('cannot open the database');
parentPort.on('message', ({ id, job }) => {
  if (job.kind === 'byline-stats') return parentPort.postMessage({ id, result: [] });
  if (job.query.limit === 13) process.exit(3);
  parentPort.postMessage({ id, result: [{ limit: job.query.limit }] });
});
parentPort.postMessage({ ready: true });
