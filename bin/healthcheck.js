// `columnwire healthcheck` in plain JavaScript, for Docker's HEALTHCHECK every 30 s: the full
// program through tsx costs about 2.4 s and 140 MB per probe, this one request a few tens of ms.
// It answers only when the address is known without the config (--url, or HOST and PORT as
// the image sets them) and every option is plain; anything else (no HOST/PORT, --help, a bad
// --timeout, an unknown option) returns null, and the full command in
// src/commands/healthcheck.ts answers instead, with the same messages and exit codes.
/* global AbortSignal */
import { request } from 'node:http';

/**
 * Runs the probe for `argv` (the arguments after `columnwire`) and resolves to its exit code,
 * or to null when this case needs the full command.
 */
export async function quickHealthcheck(argv, env, stdout, stderr) {
  const options = parse(argv);
  if (options === null) return null;
  const base = options.url ?? localUrl(env);
  if (base === null) return null;
  let url;
  try {
    url = new URL(options.ready ? '/readyz' : '/healthz', base);
  } catch {
    return null;
  }
  // Only plain HTTP here; https and the like go through fetch in the full command.
  if (url.protocol !== 'http:') return null;
  try {
    const { status, body } = await get(url, options.timeoutMs);
    if (status >= 200 && status < 300) return (stdout.write(`ok: ${url.href} ${body}\n`), 0);
    stderr.write(`columnwire: healthcheck: ${url.href} answered HTTP ${status}: ${body.slice(0, 500)}\n`);
  } catch (error) {
    const cause = error.code ?? error.name;
    stderr.write(`columnwire: healthcheck: no answer from ${url.href} (${cause}); is "columnwire run" running?\n`);
  }
  return 1;
}

/** The options of `healthcheck [--ready] [--url URL] [--timeout S]`, skipping --config/--data; null for anything else. */
function parse(argv) {
  const options = { ready: false, url: undefined, timeoutMs: 5000 };
  let command = false;
  for (let i = 0; i < argv.length; i++) {
    const match = /^(--[a-z]+|-[cd])(?:=(.*))?$/.exec(argv[i]);
    if (!match) {
      if (command || argv[i] !== 'healthcheck') return null;
      command = true;
      continue;
    }
    const [, name, inline] = match;
    if (name === '--ready' && inline === undefined && command) {
      options.ready = true;
      continue;
    }
    const takesValue = ['--config', '-c', '--data', '-d'].includes(name) || (command && (name === '--url' || name === '--timeout'));
    if (!takesValue) return null;
    const value = inline ?? argv[++i];
    if (value === undefined) return null;
    if (name === '--url') options.url = value;
    if (name === '--timeout') {
      options.timeoutMs = Number(value) * 1000;
      if (!(options.timeoutMs > 0)) return null;
    }
  }
  return command ? options : null;
}

/** As src/commands/healthcheck.ts: with HOST and PORT both set, the config is not needed. */
function localUrl(env) {
  if (!env.HOST || !env.PORT) return null;
  const local = env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
  return `http://${local.includes(':') ? `[${local}]` : local}:${Number(env.PORT)}`;
}

/** One GET with no keep-alive (so nothing holds the process open), giving up after `timeoutMs`. */
function get(url, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, signal: AbortSignal.timeout(timeoutMs) }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').trim() }));
      response.on('error', reject);
    });
    req.on('error', (error) =>
      reject(error.name === 'AbortError' ? Object.assign(new Error('timed out'), { name: 'TimeoutError' }) : error),
    );
    req.end();
  });
}
