// The whole-process bench's fallback when /usr/bin/time is missing (or BENCH_TIMER=preload):
// preloaded with `node --import`, it writes the process's own resourceUsage() to the file named
// by BENCH_RUSAGE_FILE when the process exits. process.exit() runs 'exit' listeners, and this one
// is registered first, so it misses only the other listeners' work; a process killed by a signal
// writes nothing (the bench then reports the run as failed). Worker threads load it too: only
// the main thread writes, with figures for the whole process (every thread).
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_RUSAGE_FILE;
if (file && isMainThread) {
  process.once('exit', () => {
    const usage = process.resourceUsage();
    // The same lines /usr/bin/time -v prints, so one reader serves both.
    writeFileSync(
      file,
      `User time (seconds): ${usage.userCPUTime / 1e6}\nSystem time (seconds): ${usage.systemCPUTime / 1e6}\nMaximum resident set size (kbytes): ${usage.maxRSS}\n`,
    );
  });
}
