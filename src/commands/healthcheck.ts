/**
 * `columnwire healthcheck`: asks the running service whether it is alive (or ready); Docker's
 * HEALTHCHECK runs it every 30 s, so it stays light: one node:http request, and the config
 * (YAML reader, schema) is loaded only when HOST and PORT do not give the address.
 */
import { request } from 'node:http';
import { UsageError } from '../errors.ts';
import { parseCommandArgs, type Command } from './command.ts';

const help = `Usage: columnwire healthcheck [--ready] [--url URL] [--timeout SECONDS]

Asks the running service for /healthz (alive) or, with --ready, /readyz (the database
answers and the last poll cycle is recent). Exits 0 when it answers 200, 1 otherwise,
printing why. The address is the config's server.host:server.port (env HOST and PORT
override it; 0.0.0.0 and :: are asked on loopback). Used by the Docker image's HEALTHCHECK:
with --url, or HOST and PORT set, the config is not read.

Options:
  --ready             check readiness instead of liveness
  --url URL           ask this base URL instead (e.g. http://127.0.0.1:8080)
  --timeout SECONDS   give up after this long (default 5)
  -h, --help          show this help`;

export const healthcheckCommand: Command = {
  name: 'healthcheck',
  help,
  async run({ argv, globals, stdout, stderr }) {
    const { values } = parseCommandArgs('healthcheck', argv, {
      ready: { type: 'boolean' },
      url: { type: 'string' },
      timeout: { type: 'string' },
    });
    const timeoutMs = Number(values.timeout ?? 5) * 1000;
    if (!(timeoutMs > 0)) throw new UsageError(`healthcheck: --timeout must be a positive number of seconds, got "${values.timeout}"`);
    const base = values.url ?? (await localUrl(globals.configPath, process.env));
    let url: URL;
    try {
      url = new URL(values.ready ? '/readyz' : '/healthz', base);
    } catch {
      throw new UsageError(`healthcheck: --url must be an http:// URL such as http://127.0.0.1:8080, got "${base}"`);
    }
    if (url.protocol !== 'http:')
      throw new UsageError(`healthcheck: --url must be an http:// URL (the service serves plain HTTP), got "${base}"`);
    try {
      const { status, body } = await get(url, timeoutMs);
      if (status >= 200 && status < 300) return (stdout.write(`ok: ${url.href} ${body}\n`), 0);
      stderr.write(`columnwire: healthcheck: ${url.href} answered HTTP ${status}: ${body.slice(0, 500)}\n`);
    } catch (error) {
      const cause = (error as { code?: string }).code ?? (error as Error).name;
      stderr.write(`columnwire: healthcheck: no answer from ${url.href} (${cause}); is "columnwire run" running?\n`);
    }
    return 1;
  },
};

/**
 * The service's address as seen from the same machine. With HOST and PORT both set (as in
 * the Docker image) the config is not read: a probe every 30 s should cost little.
 */
async function localUrl(configPath: string, env: NodeJS.ProcessEnv): Promise<string> {
  const fromEnv = env.HOST && env.PORT ? { host: env.HOST, port: Number(env.PORT) } : null;
  const { host, port } =
    fromEnv ?? (await import('../app.ts')).serverAddress((await import('../config/load.ts')).loadConfig(configPath), env);
  const local = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `http://${local.includes(':') ? `[${local}]` : local}:${port}`;
}

/** One GET with no keep-alive (nothing holds the process open), giving up after `timeoutMs`. */
function get(url: URL, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, signal: AbortSignal.timeout(timeoutMs) }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').trim() }));
      response.on('error', reject);
    });
    req.on('error', (error) =>
      reject(error.name === 'AbortError' ? Object.assign(new Error('timed out'), { name: 'TimeoutError' }) : error),
    );
    req.end();
  });
}
