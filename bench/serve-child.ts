/**
 * The serving bench's child processes: forks a script under `node --import tsx`, waits for its
 * { type: 'ready', url } and then talks to it request/reply over IPC (each request carries an
 * id its reply echoes). Children exit on { type: 'exit' } (so a --cpu-prof profile gets
 * written) or when the parent goes away; close() kills one that does not.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Every child answers these. */
export interface ChildStats {
  /** process.cpuUsage() of the child, microseconds. */
  cpuUs: number;
  rssMb: number;
  /** The kernel's RSS high-water mark of the child (getrusage ru_maxrss). */
  maxRssMb: number;
}

export interface Child {
  pid: number;
  url: string;
  /** Sends `message` with a fresh id and resolves with the child's reply to it. */
  request<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  stats(): Promise<ChildStats>;
  /** Asks the child to exit (writing any CPU profile), killing it after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

type Reply = { id?: number; type: string; error?: string; url?: string };

export interface ChildOptions {
  args?: string[];
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** Sent as soon as the child is forked (what it needs before it can listen). */
  init?: Record<string, unknown>;
  timeoutMs?: number;
}

/** Forks bench/`script` and waits for it to listen. */
export function startChild(script: string, options: ChildOptions = {}): Promise<Child> {
  const { args = [], nodeFlags = [], init, timeoutMs = 60_000 } = options;
  const env = { ...process.env };
  // The app honours HOST and PORT over the config; the bench wants port 0 on 127.0.0.1.
  delete env.HOST;
  delete env.PORT;
  const child: ChildProcess = fork(fileURLToPath(new URL(script, import.meta.url)), args, {
    execArgv: ['--import', 'tsx', ...nodeFlags], // not the parent's flags: a --cpu-prof parent profiles the load generator only
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced', // Buffers cross as Buffers
    env,
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const kill = (): void => {
    if (alive()) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  let nextId = 1;
  const pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  child.on('message', (reply: Reply) => {
    const waiter = reply.id === undefined ? undefined : pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id!);
    if (reply.type === 'error') waiter.reject(new Error(`bench: ${script} failed: ${reply.error}`));
    else waiter.resolve(reply);
  });
  child.on('exit', (code, signal) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`bench: ${script} exited (code ${code}, signal ${signal})`));
    pending.clear();
  });

  const request = <T>(message: Record<string, unknown>, requestTimeoutMs = 120_000): Promise<T> =>
    new Promise((resolve, reject) => {
      if (!alive()) return reject(new Error(`bench: ${script} is not running`));
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`bench: ${script} did not answer ${String(message.type)} within ${requestTimeoutMs} ms`));
      }, requestTimeoutMs);
      pending.set(id, {
        resolve: (reply) => (clearTimeout(timer), resolve(reply as T)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      child.send({ ...message, id });
    });

  const close = (graceMs = 10_000): Promise<void> =>
    new Promise((resolve) => {
      if (!alive()) return resolve();
      const timer = setTimeout(kill, graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        process.off('exit', kill);
        resolve();
      });
      child.send({ type: 'exit' });
    });

  if (init) child.send(init);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`bench: ${script} sent no URL within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      kill();
      reject(error);
    };
    const onError = (cause: Error): void => fail(new Error(`bench: cannot start ${script}`, { cause }));
    const onEarlyExit = (code: number | null, signal: string | null): void =>
      fail(new Error(`bench: ${script} exited early (code ${code}, signal ${signal})`));
    child.on('error', onError);
    child.once('exit', onEarlyExit);
    child.once('message', (message: Reply) => {
      if (message.type !== 'ready' || !message.url)
        return fail(new Error(`bench: ${script} first said ${message.type}${message.error ? `: ${message.error}` : ''}`));
      clearTimeout(timer);
      child.off('error', onError).off('exit', onEarlyExit);
      child.on('error', (error) => console.error(`bench: ${script}: ${error.message}`));
      resolve({ pid: child.pid!, url: message.url, request, stats: () => request<ChildStats>({ type: 'stats' }), close });
    });
  });
}

/** The reply to { type: 'stats' }, measured in the child. */
export function childStats(): ChildStats {
  const cpu = process.cpuUsage();
  return {
    cpuUs: cpu.user + cpu.system,
    rssMb: process.memoryUsage.rss() / 1024 / 1024,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}
