#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npx columnwire` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');

let stopRequested = false;
const stopSignal = new Promise((resolve) => {
  const onSignal = (signal) => {
    if (stopRequested) process.exit(130); // a second signal: stop at once
    stopRequested = true;
    process.stderr.write(`columnwire: ${signal} received, stopping (again to force)\n`);
    resolve();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
});

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stopSignal });
// Every command has finished its own cleanup here (run and serve within their grace period):
// do not wait for idle handles such as keep-alive sockets or a fetch abandoned at shutdown.
setImmediate(() => process.exit());
