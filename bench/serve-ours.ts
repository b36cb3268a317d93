/**
 * Child process: columnwire's own HTTP server over the bench data dir (argv[2], which holds
 * feeds.yaml), started exactly as `columnwire serve` starts it (createApp → app.startServer)
 * with a 'warn' logger. Reports { type: 'ready', url } over IPC, then answers:
 *   stats → CPU, RSS and `builds`: how many documents PublishedFeeds has built so far
 *   exit  → closes the server and the store and exits (a --cpu-prof profile is written)
 *
 * `builds` counts store.listStories calls, which PublishedFeeds makes once per feed or home
 * page it builds and never when it answers from its cache. The counter wraps the store object
 * at run time from here; nothing in src/ is changed, and the per-request path never calls it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../src/app.ts';
import { parseConfig } from '../src/config/load.ts';
import { createLogger } from '../src/logger.ts';
import { childStats } from './serve-child.ts';

type Message = { id: number; type: 'stats' } | { id?: number; type: 'exit' };

const dataDir = process.argv[2];
if (!dataDir) throw new Error('bench: serve-ours.ts needs the data dir as its argument');
const configPath = join(dataDir, 'feeds.yaml');
const app = await createApp({
  config: parseConfig(readFileSync(configPath, 'utf8'), configPath),
  dataDir,
  logger: createLogger({ level: 'warn' }),
});

let builds = 0;
const listStories = app.store.listStories.bind(app.store);
app.store.listStories = (query) => {
  builds++;
  return listStories(query);
};

const server = await app.startServer();
process.send?.({ type: 'ready', url: server.url });

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  // Idle keep-alive sockets close at once; requests in flight, and the handlers of those whose
  // client has gone (autocannon drops its sockets at the end of a run), finish first.
  await server.close();
  await app.close();
  process.exit(0);
}

process.on('message', (message: Message) => {
  if (message.type === 'stats') process.send?.({ type: 'stats', id: message.id, ...childStats(), builds });
  else if (message.type === 'exit') void shutdown();
});
process.on('disconnect', () => void shutdown());
