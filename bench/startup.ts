/**
 * Start-up of the short commands, each a new process as a script or Docker's probe runs it:
 * `--version`, `stats` over the data a poll left, and `healthcheck --url` against a tiny local
 * node:http server answering /healthz with 200; bare `node -e 0` is the floor.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BenchLog } from './ingest-passes.ts';
import { BIN, runNodeRepeated, type RepeatedRun } from './process-runs.ts';

const REPS = 5;

export interface StartupResult {
  reps: number;
  node: RepeatedRun;
  version: RepeatedRun;
  stats: RepeatedRun;
  healthcheck: RepeatedRun;
}

/** Runs each command `REPS` times (after a warm-up); `expectedStories` is what `stats` must report for `dataDir`. */
export async function benchStartup(
  log: BenchLog,
  configPath: string,
  dataDir: string,
  expectedStories: number,
  scratchDir: string,
): Promise<StartupResult> {
  const health = createServer((request, response) => {
    if (request.url === '/healthz') response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
  const { port } = health.address() as AddressInfo;
  try {
    const node = await runNodeRepeated(['-e', '0'], scratchDir, REPS);
    const version = await runNodeRepeated([BIN, '--version'], scratchDir, REPS);
    const stats = await runNodeRepeated([BIN, '--config', configPath, '--data', dataDir, 'stats'], scratchDir, REPS);
    const healthcheck = await runNodeRepeated([BIN, 'healthcheck', '--url', `http://127.0.0.1:${port}`], scratchDir, REPS);

    const wanted = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const printed = version.runs.map((run) => (run.code === 0 ? run.stdout.trim() : `exit ${run.code}`));
    log.check(
      printed.every((text) => text === wanted),
      `--version: printed ${[...new Set(printed)].join(', ')}; package.json says ${wanted}`,
    );
    const stored = stats.runs.map((run) =>
      run.code === 0 ? (/^Stories\s+([\d,]+) stored now/m.exec(run.stdout)?.[1] ?? 'no count') : `exit ${run.code}`,
    );
    const wantedText = expectedStories.toLocaleString('en-US');
    log.check(
      stored.every((text) => text === wantedText),
      `stats: ${[...new Set(stored)].join(', ')} stories stored now in the ${REPS} runs; expected ${wantedText}`,
    );
    const answers = healthcheck.runs.map((run) =>
      run.code === 0 && run.stdout.startsWith('ok: ') ? 'ok' : `exit ${run.code}: ${run.stderr.trim()}`,
    );
    log.check(
      answers.every((answer) => answer === 'ok'),
      `healthcheck: ${[...new Set(answers)].join(', ')} in the ${REPS} runs against 127.0.0.1:${port}/healthz`,
    );

    for (const [what, run] of [
      ['node -e 0 (the floor)', node],
      ['columnwire --version', version],
      ['columnwire stats', stats],
      ['columnwire healthcheck --url', healthcheck],
    ] as const) {
      log.rows.push({
        what: `${what}, median of ${REPS}`,
        work: 'a new process',
        ms: run.wallMs,
        cpuMs: run.cpuMs,
        peakRssMb: run.maxRssMb,
      });
    }
    return { reps: REPS, node, version, stats, healthcheck };
  } finally {
    health.close();
  }
}
