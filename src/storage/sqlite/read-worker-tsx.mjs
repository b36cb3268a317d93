// Starts read-worker.ts when columnwire runs from its TypeScript sources (bin/columnwire.js,
// vitest): a worker thread does not share the main thread's tsx hooks, so it registers its own.
// Compiled to JavaScript, read-threads starts read-worker.js directly and this file is unused.
import { register } from 'tsx/esm/api';

register();
await import('./read-worker.ts');
