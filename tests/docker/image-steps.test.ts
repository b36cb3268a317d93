/**
 * The Docker image without Docker: replays the Dockerfile's COPY and RUN steps, in order,
 * stage by stage, in a temp directory laid out like the image (/app, /config, /data), then
 * starts `columnwire run` the way CMD, ENV, WORKDIR and USER say (as uid 1000 when the test
 * runs as root), runs the HEALTHCHECK command against it, reads what it polled, backs it up
 * with `columnwire backup` inside it and stops it with SIGTERM. The OS-level steps it cannot run
 * (apt-get…) are listed in the output. Only 127.0.0.1 is ever listened on or asked.
 *
 * Speed: the build stage compiles better-sqlite3 from source (~80 s on 2 cores). By default
 * the replay gives that `npm ci` the module this checkout's own `npm ci` compiled from the
 * same version, as a local prebuild (prebuild-install's documented local-prebuilds lookup),
 * so every install script still runs. COLUMNWIRE_IMAGE_BUILD=full compiles it as the image does.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { parseDurationMs } from './dockerfile.ts';
import { IMAGE_USER, mapEnv, mapPath, replayDockerfile, type ReplayedStage, type RunStep } from './replay-image.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const FULL_BUILD = process.env.COLUMNWIRE_IMAGE_BUILD === 'full';
const asRoot = process.getuid?.() === 0;
const ITEM_TITLE = 'A column polled inside the replayed image';
const out = makeTempDir('columnwire-image-');
chmodSync(out, 0o755); // the image user must reach /app and /data inside it
const report: string[] = [];
const log = (line: string) => report.push(line);
let image: ReplayedStage;
let feedServer: Server;
let feedUrl = '';
let shortcut: { source: string; prebuilds: string } | null = null;

beforeAll(async () => {
  feedServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(`<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>
<item><title>${ITEM_TITLE}</title><link>https://columnist.example.com/1</link><pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>`);
  });
  await new Promise<void>((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
  feedUrl = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}/feed.xml`;
  const started = performance.now();
  log(
    `image-steps: replaying ${repoRoot}/Dockerfile in ${out} (${FULL_BUILD ? 'full build' : 'fast build; COLUMNWIRE_IMAGE_BUILD=full compiles better-sqlite3 as the image does'})`,
  );
  const { stages, skipped } = await replayDockerfile({ contextDir: repoRoot, outDir: out, adjust: adjustInstall, log });
  image = stages.at(-1)!;
  log(`  skipped, OS-level (cannot run here):\n${skipped.map((line) => `    ${line}`).join('\n') || '    none'}`);
  const imageNode = /^node:(\d+\.\d+\.\d+)/.exec(image.stage.image)?.[1];
  if (imageNode !== process.versions.node) log(`  note: the image has Node ${imageNode}; this replay ran Node ${process.versions.node}`);
  log(`  replay total ${seconds(started)}`);
}, 300_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (feedServer ? feedServer.close(() => resolve()) : resolve()));
  console.log(report.join('\n'));
});

describe('the Docker image, its steps replayed in a temp directory', () => {
  it('lays out /app, /config and /data as the image has them', () => {
    const app = mapPath(image.root, '/app');
    for (const path of ['package.json', 'bin/columnwire.js', 'dist/main.js', 'dist/parse-worker.js', 'templates/digest.mjml']) {
      expect(existsSync(join(app, path)), path).toBe(true);
    }
    // Compiled JavaScript and production modules only: no sources, no TypeScript runner.
    for (const path of [
      'src',
      'scripts',
      'tsconfig.json',
      'node_modules/tsx',
      'node_modules/esbuild',
      'tests',
      'bench',
      '.git',
      'data',
      'README.md',
    ]) {
      expect(existsSync(join(app, path)), path).toBe(false);
    }
    const addon = join(app, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    expect(existsSync(addon)).toBe(true);
    if (shortcut) expect(readFileSync(addon).equals(readFileSync(shortcut.source)), 'the local prebuild was used').toBe(true);
    expect(existsSync(join(app, 'node_modules/vitest')), 'no devDependencies').toBe(false);
    expect(readFileSync(mapPath(image.root, '/config/feeds.yaml'), 'utf8')).toBe(readFileSync(join(repoRoot, 'feeds.yaml'), 'utf8'));
    const link = mapPath(image.root, '/usr/local/bin/columnwire');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(join(app, 'bin/columnwire.js'));
    if (asRoot) expect(statSync(mapPath(image.root, '/data')).uid).toBe(IMAGE_USER.uid);
  });

  it('accepts the config it ships in /config/feeds.yaml', async () => {
    const scratch = join(out, 'scratch-data');
    mkdirSync(scratch);
    if (asRoot) chmodSync(scratch, 0o777);
    const result = await execInImage(['columnwire', 'feeds', '--json'], { COLUMNWIRE_DATA: scratch }, 30_000);
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as unknown[]).length).toBeGreaterThan(0);
  }, 60_000);

  it('starts as CMD says, turns healthy, serves what it polled into /data, and stops with exit 0 on SIGTERM', async () => {
    // The operator's config, mounted over the default one (compose: ./feeds.yaml:/config/feeds.yaml:ro).
    writeFileSync(
      mapPath(image.root, '/config/feeds.yaml'),
      `title: Image steps\npoll:\n  allowPrivateAddresses: [127.0.0.1]\nfeeds:\n  - url: ${feedUrl}\n    id: local\n`,
    );
    const port = await freePort();
    const started = performance.now();
    // Listen on loopback only here; the image's HOST=0.0.0.0 stays for the healthcheck, which asks 127.0.0.1.
    const service = spawnInImage(image.cmd!, { HOST: '127.0.0.1', PORT: String(port) });
    log(
      `  run: ${image.cmd!.join(' ')} in ${image.workdir}, ${asRoot ? `as uid ${IMAGE_USER.uid} (USER ${image.user})` : `as this user (not root here, so not as USER ${image.user})`}, on 127.0.0.1:${port}`,
    );
    let logs = '';
    service.stderr!.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => service.on('exit', resolve));
    try {
      const healthcheck = image.healthcheck!;
      const timeoutMs = parseDurationMs(healthcheck.flags.timeout ?? '30s');
      const deadline = Date.now() + parseDurationMs(healthcheck.flags['start-period'] ?? '0s') + timeoutMs;
      // As Docker does during --start-period, retried until it passes (every second here, not every --interval).
      let probe = await execInImage(healthcheck.command, { PORT: String(port) }, timeoutMs);
      let probes = 1;
      while (probe.code !== 0 && Date.now() < deadline && service.exitCode === null) {
        await sleep(1000);
        probe = await execInImage(healthcheck.command, { PORT: String(port) }, timeoutMs);
        probes++;
      }
      expect(probe.code, `${probe.stderr}\n${logs}`).toBe(0);
      expect(probe.stdout).toContain(`http://127.0.0.1:${port}/healthz`);
      log(
        `  run: HEALTHCHECK ${healthcheck.command.join(' ')} passed ${seconds(started)} after start (${probes} probe${probes > 1 ? 's' : ''}, ${probe.ms} ms the last)`,
      );

      await waitFor(
        () => logs.includes('"poll cycle finished"'),
        30_000,
        () => logs,
      );
      const feed = await (await fetch(`http://127.0.0.1:${port}/feed.xml`)).text();
      expect(feed).toContain(ITEM_TITLE);

      // The README's backup, run in the container while it serves (docker compose exec columnwire …).
      const backup = await execInImage(['columnwire', 'backup', mapPath(image.root, '/data/backup.db')], {}, 30_000);
      expect(backup.code, backup.stderr).toBe(0);
      expect(readFileSync(mapPath(image.root, '/data/backup.db')).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
    } finally {
      service.kill('SIGTERM');
    }
    const stopping = performance.now();
    expect(await exited, logs).toBe(0);
    expect(logs).toContain('"msg":"stopped"');
    log(`  run: SIGTERM → exit 0 in ${seconds(stopping)}`);
    const data = mapPath(image.root, '/data');
    for (const file of ['columnwire.db', 'secret']) {
      expect(existsSync(join(data, file)), file).toBe(true);
      if (asRoot) expect(statSync(join(data, file)).uid, `${file} owned by ${IMAGE_USER.name}`).toBe(IMAGE_USER.uid);
    }
    const after = await execInImage(image.healthcheck!.command, { PORT: String(port) }, 10_000);
    expect(after.code, 'the healthcheck fails once the service is gone').toBe(1);
  }, 120_000);
});

/**
 * The build stage's `npm ci`: --prefer-offline (the npm cache), and unless a full build was
 * asked for, better-sqlite3 from the module this checkout compiled, when it is the locked version.
 */
function adjustInstall(step: RunStep): string | null {
  if (!/\bnpm ci\b/.test(step.command)) return null;
  step.env.npm_config_prefer_offline = 'true';
  if (FULL_BUILD || step.env.npm_config_build_from_source !== 'true') return 'with --prefer-offline; better-sqlite3 compiled from source';
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const locked = lock.packages['node_modules/better-sqlite3']?.version;
  const installedDir = join(repoRoot, 'node_modules/better-sqlite3');
  const installed = existsSync(join(installedDir, 'package.json'))
    ? (JSON.parse(readFileSync(join(installedDir, 'package.json'), 'utf8')) as { version: string }).version
    : null;
  const source = join(installedDir, 'build/Release/better_sqlite3.node');
  if (!locked || locked !== installed || !existsSync(source)) {
    return `with --prefer-offline; better-sqlite3 compiled from source (this checkout has ${installed ?? 'none'}, the lock ${locked})`;
  }
  const prebuilds = join(out, 'prebuilds');
  mkdirSync(prebuilds, { recursive: true });
  const tarball = `better-sqlite3-v${locked}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['-czf', join(prebuilds, tarball), '-C', installedDir, 'build/Release/better_sqlite3.node']);
  shortcut = { source, prebuilds };
  step.env.npm_config_build_from_source = 'false';
  step.env.npm_config_better_sqlite3_local_prebuilds = prebuilds;
  return `with --prefer-offline; SHORTCUT: better-sqlite3 ${locked} not compiled but taken from this checkout's node_modules as a local prebuild (${tarball})`;
}

/** The container's environment: the image's ENV, PATH with the image's /usr/local/bin, the user's HOME. */
function imageEnv(overrides: Record<string, string>): Record<string, string> {
  const path = [
    mapPath(image.root, '/usr/local/bin'),
    join(mapPath(image.root, '/usr/local'), 'bin'),
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ].join(':');
  return { PATH: path, HOME: mapPath(image.root, `/home/${IMAGE_USER.name}`), ...mapEnv(image.root, image.env), ...overrides };
}

function spawnInImage(command: string[], overrides: Record<string, string>): ChildProcess {
  const user = asRoot && image.user === IMAGE_USER.name ? { uid: IMAGE_USER.uid, gid: IMAGE_USER.gid } : {};
  return spawn(command[0]!, command.slice(1), {
    cwd: mapPath(image.root, image.workdir),
    env: imageEnv(overrides),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
  });
}

async function execInImage(
  command: string[],
  overrides: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const child = spawnInImage(command, overrides);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr, ms: Math.round(performance.now() - started) };
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor(done: () => boolean, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`image-steps: timed out\n${context()}`);
    await sleep(100);
  }
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}
