// The real parse worker, plus misbehaviour on demand (by the job's text): "crash" throws an
// uncaught error in the worker while it parses, "exit" ends the thread; "sleep:MS" idles it for
// MS without using CPU, "spin:MS" keeps it busy until it has used MS of CPU (Linux), and
// "spin:MS,sleep:MS" does one after the other; then the real worker answers (not a feed).
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
// Loaded first: the real worker says it is ready as it loads, and a job sent then must find the
// listeners below in place (they are added in the same turn as that import ends).
const { openThreadCpuClock, ownThreadStatPath } = await import('../../src/feeds/thread-cpu.ts');
await import('../../src/feeds/parse-worker.ts');
parentPort.on('message', ({ job }) => {
  if (job.input.kind === 'text' && job.input.text === 'crash') throw new Error('boom inside the worker');
  if (job.input.kind === 'text' && job.input.text === 'exit') process.exit(3);
});
parentPort.on('message', ({ job }) => {
  if (job.input.kind !== 'text' || !/^((sleep|spin):\d+,?)+$/.test(job.input.text)) return;
  for (const [, what, ms] of job.input.text.matchAll(/(sleep|spin):(\d+)/g)) {
    if (what === 'sleep') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(ms));
    else {
      const clock = openThreadCpuClock(ownThreadStatPath());
      const before = clock.readMs();
      while (clock.readMs() - before < Number(ms));
      clock.close();
    }
  }
});
