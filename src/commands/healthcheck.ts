/** `columnwire healthcheck`: asks the running service whether it is alive (or ready); for Docker's HEALTHCHECK. */
import { UsageError } from '../errors.ts';
import { parseCommandArgs, type Command } from './command.ts';

const help = `Usage: columnwire healthcheck [--ready] [--url URL] [--timeout SECONDS]

Asks the running service for /healthz (alive) or, with --ready, /readyz (the database
answers and the last poll cycle is recent). Exits 0 when it answers 200, 1 otherwise,
printing why. The address is the config's server.host:server.port (env HOST and PORT
override it; 0.0.0.0 and :: are asked on loopback). Used by the Docker image's HEALTHCHECK:
with --url, or HOST and PORT set, bin/healthcheck.js answers before the program loads.

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
    const url = new URL(values.ready ? '/readyz' : '/healthz', base);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await response.text()).trim();
      if (response.ok) return (stdout.write(`ok: ${url.href} ${body}\n`), 0);
      stderr.write(`columnwire: healthcheck: ${url.href} answered HTTP ${response.status}: ${body.slice(0, 500)}\n`);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      stderr.write(`columnwire: healthcheck: no answer from ${url.href} (${cause}); is "columnwire run" running?\n`);
    }
    return 1;
  },
};

/**
 * The service's address as seen from the same machine. With HOST and PORT both set (as in
 * the Docker image) the config is not read: a probe every 30 s should cost little. That case
 * is normally answered by bin/healthcheck.js, which must print the same; this is the fallback.
 */
async function localUrl(configPath: string, env: NodeJS.ProcessEnv): Promise<string> {
  const fromEnv = env.HOST && env.PORT ? { host: env.HOST, port: Number(env.PORT) } : null;
  const { host, port } =
    fromEnv ?? (await import('../app.ts')).serverAddress((await import('../config/load.ts')).loadConfig(configPath), env);
  const local = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `http://${local.includes(':') ? `[${local}]` : local}:${port}`;
}
