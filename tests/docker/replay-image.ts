/**
 * Replays a Dockerfile's steps on this machine: each stage gets its own root directory laid
 * out like the image (/app → <root>/app, /config → <root>/config, /data → <root>/data), COPY
 * copies through .dockerignore, RUN runs in `sh` with the image's paths mapped, ENV, WORKDIR
 * and USER are tracked. Steps that change the OS (apt-get, useradd…) cannot run here; they are
 * skipped and listed, never silently.
 */
import { execFile } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseDockerfile, parseExecForm, parseKeyValues, splitFlags, substitute, type Stage } from './dockerfile.ts';
import { parseDockerignore } from './dockerignore.ts';

const run = promisify(execFile);

/** The `node` user of the official Node images. */
export const IMAGE_USER = { name: 'node', uid: 1000, gid: 1000 } as const;

/** One shell command of a RUN, before it runs: a hook may add environment or a note. */
export interface RunStep {
  stage: Stage;
  command: string;
  env: Record<string, string>;
}

export interface ReplayOptions {
  contextDir: string;
  outDir: string;
  /** May change a RUN step's environment (a faithful shortcut); returns a note to print, or null. */
  adjust?: (step: RunStep) => string | null;
  log: (line: string) => void;
}

export interface ReplayedStage {
  stage: Stage;
  root: string;
  env: Record<string, string>;
  workdir: string;
  user: string | null;
  cmd: string[] | null;
  healthcheck: { flags: Record<string, string>; command: string[] } | null;
}

/** Replays every stage in order; the last one is the image. */
export async function replayDockerfile(options: ReplayOptions): Promise<{ stages: ReplayedStage[]; skipped: string[] }> {
  const dockerfile = parseDockerfile(readFileSync(join(options.contextDir, 'Dockerfile'), 'utf8'));
  const ignorePath = join(options.contextDir, '.dockerignore');
  const isIgnored = parseDockerignore(existsSync(ignorePath) ? readFileSync(ignorePath, 'utf8') : '');
  const stages: ReplayedStage[] = [];
  const skipped: string[] = [];
  for (const stage of dockerfile.stages) {
    const label = stage.name ?? (stage.index === dockerfile.stages.length - 1 ? 'image' : `stage${stage.index}`);
    const root = join(options.outDir, label);
    layBaseImage(root);
    const state: ReplayedStage = { stage, root, env: {}, workdir: '/', user: null, cmd: null, healthcheck: null };
    const buildArgs: Record<string, string> = {}; // ARG inside a stage: seen by RUN, not kept in the image
    for (const instruction of stage.instructions) {
      const args = substitute(instruction.args, { ...buildArgs, ...state.env });
      const started = performance.now();
      const timing = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
      switch (instruction.keyword) {
        case 'WORKDIR':
          state.workdir = args.startsWith('/') ? args : join(state.workdir, args);
          mkdirSync(mapPath(root, state.workdir), { recursive: true });
          break;
        case 'ENV':
          Object.assign(state.env, parseKeyValues(args));
          break;
        case 'USER':
          state.user = args;
          break;
        case 'CMD':
          state.cmd = parseExecForm(args) ?? ['/bin/sh', '-c', args];
          break;
        case 'HEALTHCHECK': {
          const { flags, rest } = splitFlags(args);
          const command = parseExecForm(rest.replace(/^CMD\s+/, ''));
          if (!command) throw new Error(`Dockerfile:${instruction.line}: replay expects HEALTHCHECK CMD in exec form`);
          state.healthcheck = { flags, command };
          break;
        }
        case 'COPY':
          await copy(args, state, stages, options.contextDir, isIgnored);
          options.log(`  ${label.padEnd(6)} COPY ${args}  ${timing()}`);
          break;
        case 'RUN':
          for (const command of args.split(/\s*&&\s*/)) {
            const reason = osLevel(command);
            if (reason && !(reason === 'chown' && process.getuid?.() === 0)) {
              skipped.push(`${label}: RUN ${command}   (${reason === 'chown' ? 'chown: not root here' : 'changes the OS, not the app'})`);
              continue;
            }
            const step: RunStep = {
              stage,
              command: mapCommand(root, reason === 'chown' ? chownAsImageUser(command) : command),
              env: mapEnv(root, { ...buildArgs, ...state.env }),
            };
            const note = options.adjust?.(step) ?? (reason === 'chown' ? `as ${step.command.trim()}` : null);
            const begun = performance.now();
            await runStep(step, mapPath(root, state.workdir));
            options.log(
              `  ${label.padEnd(6)} RUN  ${command}  ${((performance.now() - begun) / 1000).toFixed(1)} s${note ? `\n         ${note}` : ''}`,
            );
          }
          break;
        case 'ARG': {
          const at = args.indexOf('=');
          const name = at < 0 ? args : args.slice(0, at);
          buildArgs[name] = at < 0 ? (dockerfile.globalArgs[name] ?? '') : args.slice(at + 1);
          break;
        }
        case 'VOLUME':
        case 'EXPOSE':
        case 'LABEL':
        case 'STOPSIGNAL':
          break; // metadata: checked by the rules test, nothing to replay
        default:
          throw new Error(`Dockerfile:${instruction.line}: replay does not know ${instruction.keyword}`);
      }
    }
    stages.push(state);
  }
  return { stages, skipped };
}

/** Where an image path lives here: the base image's Node install is this machine's; the rest is under root. */
export function mapPath(root: string, imagePath: string): string {
  const nodePrefix = dirname(dirname(process.execPath));
  if (imagePath === '/usr/local' || (imagePath.startsWith('/usr/local/') && !imagePath.startsWith('/usr/local/bin'))) {
    return nodePrefix + imagePath.slice('/usr/local'.length);
  }
  return join(root, imagePath);
}

/** The image's ENV with its absolute paths mapped. */
export function mapEnv(root: string, env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value.startsWith('/') ? mapPath(root, value) : value]));
}

/** What the base image provides that the steps rely on: /usr/local/bin on PATH, /tmp, the node user's home. */
function layBaseImage(root: string): void {
  for (const dir of ['usr/local/bin', 'tmp', 'home/node']) mkdirSync(join(root, dir), { recursive: true });
  if (process.getuid?.() === 0) chownSync(join(root, 'home/node'), IMAGE_USER.uid, IMAGE_USER.gid);
}

function osLevel(command: string): 'os' | 'chown' | null {
  const word = command.trim().split(/\s+/)[0] ?? '';
  if (['apt-get', 'apt', 'dpkg', 'useradd', 'groupadd', 'adduser', 'addgroup', 'usermod'].includes(word)) return 'os';
  if (/\/var\/(lib|cache)\/apt\b/.test(command)) return 'os';
  if (word === 'chown') return 'chown';
  return null;
}

/** `chown node:node /data` → the image user's numeric ids (no such user here). */
function chownAsImageUser(command: string): string {
  return command.replace(/(\s)node(:node)?(\s)/, `$1${IMAGE_USER.uid}:${IMAGE_USER.gid}$3`);
}

function mapCommand(root: string, command: string): string {
  return command.replace(/(^|[\s=])(\/[\w.@+/-]*)/g, (_whole, before: string, path: string) => before + mapPath(root, path));
}

/** The environment a RUN sees: this machine's (for PATH, HOME and the npm cache), less npm's and columnwire's own variables, plus the image's. */
function runEnv(env: Record<string, string>): Record<string, string> {
  const inherited = Object.entries(process.env).filter(([key]) => !/^(npm_|COLUMNWIRE_|NODE_OPTIONS$|INIT_CWD$|VITEST)/i.test(key));
  return { ...(Object.fromEntries(inherited) as Record<string, string>), ...env };
}

async function runStep(step: RunStep, cwd: string): Promise<void> {
  try {
    await run('sh', ['-c', step.command], { cwd, env: runEnv(step.env), maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`image-steps: RUN ${step.command} failed in ${cwd}\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`, { cause: error });
  }
}

async function copy(
  args: string,
  state: ReplayedStage,
  stages: readonly ReplayedStage[],
  contextDir: string,
  isIgnored: (path: string) => boolean,
): Promise<void> {
  const { flags, rest } = splitFlags(args);
  const unknown = Object.keys(flags).filter((flag) => flag !== 'from');
  if (unknown.length > 0 || rest.startsWith('['))
    throw new Error(`image-steps: COPY ${args}: replay supports only --from and the plain form`);
  const words = rest.split(/\s+/);
  const dest = words.pop()!;
  const from =
    flags.from === undefined
      ? null
      : stages.find((candidate) => candidate.stage.name === flags.from || String(candidate.stage.index) === flags.from);
  if (flags.from !== undefined && !from) throw new Error(`image-steps: COPY --from=${flags.from}: no such earlier stage`);
  const destPath = mapPath(state.root, dest.startsWith('/') ? dest : join(state.workdir, dest));
  const intoDirectory = dest.endsWith('/') || words.length > 1;
  for (const source of words) {
    if (/[*?[]/.test(source)) throw new Error(`image-steps: COPY ${source}: wildcards are not replayed`);
    const sourcePath = from ? mapPath(from.root, source.startsWith('/') ? source : join(from.workdir, source)) : join(contextDir, source);
    if (!from && isIgnored(source)) throw new Error(`image-steps: COPY ${source}: excluded by .dockerignore (the build would fail)`);
    if (!existsSync(sourcePath)) throw new Error(`image-steps: COPY ${source}: not found at ${sourcePath}`);
    const directory = statSync(sourcePath).isDirectory();
    const target = directory || !intoDirectory ? destPath : join(destPath, basename(source));
    mkdirSync(directory ? target : dirname(target), { recursive: true });
    if (from && directory) {
      await run('cp', ['-a', `${sourcePath}/.`, target]); // a stage's whole tree (node_modules): cp is ~3x faster than cpSync
    } else {
      const inContext = (path: string) => !isIgnored(path.slice(contextDir.length + 1));
      cpSync(sourcePath, target, { recursive: true, verbatimSymlinks: true, ...(from ? {} : { filter: inContext }) });
    }
  }
}
