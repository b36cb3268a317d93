#!/usr/bin/env node
// Runs the compiled program in dist/ (`npm run build`, run by `npm install` itself): plain
// JavaScript, bundled per command, so a command loads only the modules it uses.
import { existsSync } from 'node:fs';

// A reader that stops early (`columnwire export | head -1`) is not an error: the rest of the
// output is dropped and the command finishes its work and exits with its own code. Node
// ignores SIGPIPE, so without this a closed pipe is an unhandled EPIPE 'error' event and a trace.
// Any other failure to write (a full disk) is one line and exit 1.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') return;
    process.stderr.write(`columnwire: cannot write the output: ${error.message}\n`);
    process.exit(1);
  });
}

const program = new URL('../dist/main.js', import.meta.url);
if (!existsSync(program)) {
  process.stderr.write('columnwire: the compiled program (dist/main.js) is missing; run "npm run build" (npm install runs it too)\n');
  process.exit(1);
}
const { main } = await import(program.href);

let stopRequested = false;
let finished = false;
const stopSignal = new Promise((resolve) => {
  const onSignal = (signal) => {
    // A second signal, or one while the output drains to a stuck reader: stop at once.
    if (stopRequested || finished) process.exit(130);
    stopRequested = true;
    process.stderr.write(`columnwire: ${signal} received, stopping (again to force)\n`);
    resolve();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
});

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stopSignal });
finished = true;
// Every command has finished its own cleanup here (run and serve within their grace period):
// do not wait for idle handles such as keep-alive sockets or a fetch abandoned at shutdown.
// But a pipe is written asynchronously: exiting at once would cut the output at the pipe's
// buffer (64 KiB) when the reader is slower (`export | gzip`), so exit once both have drained.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit();

/** Resolves when everything written to `stream` so far has reached the OS (or the stream is gone). */
function flushed(stream) {
  return new Promise((resolve) => {
    if (stream.destroyed) return resolve();
    stream.once('close', resolve);
    // Writes complete in order, so an empty write's callback runs after every earlier one.
    stream.write('', () => resolve());
  });
}
