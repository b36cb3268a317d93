// The real parse worker, plus misbehaviour on demand (by the job's text): "crash" throws an
// uncaught error in the worker while it parses, "exit" ends the thread, "sleep:MS" idles it.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import('../../src/feeds/parse-worker.ts');
parentPort.on('message', ({ job }) => {
  if (job.input.kind === 'text' && job.input.text === 'crash') throw new Error('boom inside the worker');
  if (job.input.kind === 'text' && job.input.text === 'exit') process.exit(3);
});
// "sleep:MS" blocks the thread for MS without using CPU, then the real worker answers.
parentPort.on('message', ({ job }) => {
  const ms = job.input.kind === 'text' && /^sleep:(\d+)$/.exec(job.input.text)?.[1];
  if (ms) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(ms));
});
