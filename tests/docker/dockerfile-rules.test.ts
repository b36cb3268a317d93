/**
 * The Docker files' rules, checked on every `npm test` whatever linter is installed: pinned
 * slim base images, a non-root user, the healthcheck, the port, the volume, the exec-form
 * CMD, clean apt layers, `npm ci` then `npm prune --omit=dev`, a .dockerignore that keeps out what must not
 * go in, and a compose example wired to its relay. With dockerfile-utils installed (the
 * `lint:docker` script), its validator must report nothing either.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseDockerfile, parseExecForm, parseKeyValues, splitFlags, type Instruction } from './dockerfile.ts';
import { parseDockerignore } from './dockerignore.ts';

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const dockerfileText = readFileSync(repo('Dockerfile'), 'utf8');
const dockerfile = parseDockerfile(dockerfileText);
const image = dockerfile.stages.at(-1)!;
const all = (stageInstructions: Instruction[], keyword: string) =>
  stageInstructions.filter((instruction) => instruction.keyword === keyword);
const imageEnv = Object.assign({}, ...all(image.instructions, 'ENV').map((instruction) => parseKeyValues(instruction.args))) as Record<
  string,
  string
>;
const runs = dockerfile.stages.flatMap((stage) =>
  all(stage.instructions, 'RUN').map((instruction) => ({ stage, command: instruction.args })),
);
const isIgnored = parseDockerignore(readFileSync(repo('.dockerignore'), 'utf8'));
// The npm linter, when installed as a devDependency (optional: the rules here stand alone).
type Diagnostic = { message: string; range: { start: { line: number } } };
const linter = (await import(String('dockerfile-utils')).catch(() => null)) as { validate: (text: string) => Diagnostic[] } | null;

describe('Dockerfile', () => {
  const bases = dockerfile.stages.filter((stage) => !dockerfile.stages.some((other) => other.name === stage.image));

  it('pins every base image to an exact version of an official slim image, never latest', () => {
    expect(bases.length).toBeGreaterThan(0);
    for (const stage of bases) {
      expect(stage.image).toMatch(/^node:\d+\.\d+\.\d+-[a-z]+-slim(@sha256:[0-9a-f]{64})?$/);
      expect(stage.image).not.toMatch(/latest/);
    }
  });

  it('builds on the same image it runs on, a Node the project supports', () => {
    expect(new Set(bases.map((stage) => stage.image)).size).toBe(1); // the compiled module matches the runtime's ABI
    const major = Number(/^node:(\d+)/.exec(image.image)![1]);
    const engines = (JSON.parse(readFileSync(repo('package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toMatch(/^>=\d+/);
    expect(major).toBeGreaterThanOrEqual(Number(/\d+/.exec(engines)![0]));
  });

  it('has a build stage with the toolchain and a runtime stage without it', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    expect(all(image.instructions, 'RUN').some((instruction) => /apt-get|g\+\+|python3/.test(instruction.args))).toBe(false);
    expect(runs.some(({ stage, command }) => stage !== image && /apt-get install .*\bg\+\+/.test(command))).toBe(true);
  });

  it('installs from the lock file (npm ci, never npm install), builds, and keeps production dependencies only', () => {
    expect(runs.some(({ command }) => /\bnpm ci\b[^&]*&&\s*npm prune --omit=dev\b/.test(command))).toBe(true);
    expect(runs.some(({ command }) => /\bnpm (install|i)\b/.test(command))).toBe(false);
  });

  it('installs apt packages without recommends and removes the apt lists in the same layer', () => {
    for (const { command } of runs.filter(({ command }) => /apt-get install/.test(command))) {
      expect(command).toMatch(/apt-get update/);
      expect(command).toMatch(/--no-install-recommends/);
      expect(command).toMatch(/-y\b/);
      expect(command).toMatch(/rm -rf \/var\/lib\/apt\/lists\/\*\s*$/);
    }
  });

  it('copies from earlier stages only', () => {
    for (const [index, stage] of dockerfile.stages.entries()) {
      for (const instruction of all(stage.instructions, 'COPY')) {
        const from = splitFlags(instruction.args).flags.from;
        if (from !== undefined) expect(dockerfile.stages.slice(0, index).map((earlier) => earlier.name)).toContain(from);
      }
    }
  });

  it('runs as a non-root user from before HEALTHCHECK and CMD', () => {
    const keywords = image.instructions.map((instruction) => instruction.keyword);
    const users = all(image.instructions, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/);
    expect(keywords.lastIndexOf('USER')).toBeLessThan(keywords.indexOf('CMD'));
    expect(keywords.lastIndexOf('USER')).toBeLessThan(keywords.indexOf('HEALTHCHECK'));
  });

  it('serves on 8080 from all interfaces, keeps its data in the /data volume and reads /config/feeds.yaml', () => {
    expect(all(image.instructions, 'EXPOSE').map((instruction) => instruction.args)).toEqual(['8080']);
    const volumes = all(image.instructions, 'VOLUME').flatMap(
      (instruction) => parseExecForm(instruction.args) ?? instruction.args.split(/\s+/),
    );
    expect(volumes).toEqual(['/data']);
    expect(imageEnv).toMatchObject({
      PORT: '8080',
      HOST: '0.0.0.0',
      COLUMNWIRE_DATA: '/data',
      COLUMNWIRE_CONFIG: '/config/feeds.yaml',
      NODE_ENV: 'production',
    });
    expect(all(image.instructions, 'COPY').some((instruction) => instruction.args.endsWith(' /config/feeds.yaml'))).toBe(true);
  });

  it('checks its health with `columnwire healthcheck` and runs `columnwire run`, both in exec form', () => {
    const healthchecks = all(image.instructions, 'HEALTHCHECK');
    expect(healthchecks).toHaveLength(1);
    const { flags, rest } = splitFlags(healthchecks[0]!.args);
    expect(Object.keys(flags).sort()).toEqual(['interval', 'retries', 'start-period', 'timeout']);
    expect(parseExecForm(rest.replace(/^CMD\s+/, ''))).toEqual(['columnwire', 'healthcheck']);
    const cmds = all(image.instructions, 'CMD');
    expect(cmds).toHaveLength(1);
    expect(parseExecForm(cmds[0]!.args)).toEqual(['columnwire', 'run']);
  });

  it.skipIf(!linter)('passes dockerfile-utils (the lint:docker linter) without a warning', () => {
    const problems = linter!.validate(dockerfileText).map((problem) => `Dockerfile:${problem.range.start.line + 1}: ${problem.message}`);
    expect(problems).toEqual([]);
  });
});

describe('.dockerignore', () => {
  it.each([
    ['node_modules/x/index.js', true],
    ['src/node_modules/x.js', true],
    ['data/columnwire.db', true],
    ['.git/HEAD', true],
    ['test-output/home-375.png', true],
    ['tests/cli/run.test.ts', true],
    ['bench/run.ts', true],
    ['.env', true],
    ['.env.local', true],
    ['columnwire.env', true],
    ['local.db-wal', true],
    ['README.md', true],
    ['package.json', false],
    ['package-lock.json', false],
    ['tsconfig.json', false],
    ['feeds.yaml', false],
    ['bin/columnwire.js', false],
    ['src/main.ts', false],
    ['src/secret.ts', false],
    ['templates/digest.mjml', false],
  ])('%s excluded: %s', (path, excluded) => {
    expect(isIgnored(path)).toBe(excluded);
  });

  it('excludes none of what the COPY steps take from the context', () => {
    for (const stage of dockerfile.stages) {
      for (const instruction of all(stage.instructions, 'COPY').filter((copy) => !copy.args.startsWith('--from'))) {
        for (const source of instruction.args.split(/\s+/).slice(0, -1)) expect(isIgnored(source), source).toBe(false);
      }
    }
  });

  it.each([
    ['*.md', 'docs/a.md', false],
    ['**/*.md', 'docs/a.md', true],
    ['docs', 'docs/a/b.png', true],
    ['/data', 'data/x', true],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['?.js', 'ab.js', false],
    ['[ab].js', 'b.js', true],
    ['tests\n!tests/keep', 'tests/keep/x', false],
    ['tests\n!tests/keep', 'tests/other', true],
  ])('pattern %j on %s: excluded %s', (patterns, path, excluded) => {
    expect(parseDockerignore(patterns)(path)).toBe(excluded);
  });
});

describe('compose.yaml', () => {
  const compose = parseYaml(readFileSync(repo('compose.yaml'), 'utf8')) as {
    services: Record<
      string,
      {
        build?: string;
        image?: string;
        init?: boolean;
        restart?: string;
        ports?: string[];
        environment?: Record<string, string>;
        volumes?: string[];
      }
    >;
    volumes?: Record<string, unknown>;
  };
  const app = compose.services.columnwire!;

  it('builds this Dockerfile and runs it with init, a restart policy, the port, the data volume and the config mount', () => {
    expect(app).toMatchObject({ build: '.', init: true, restart: 'unless-stopped' });
    expect(app.ports).toContain('8080:8080');
    const dataVolume = app.volumes!.find((volume) => volume.endsWith(':/data'))!.split(':')[0]!;
    expect(Object.keys(compose.volumes ?? {})).toContain(dataVolume);
    expect(app.volumes).toContain('./config:/config');
  });

  it('sends mail through the relay service, whose image is pinned', () => {
    const relayName = new URL(app.environment!.SMTP_URL!).hostname;
    const relay = compose.services[relayName]!;
    expect(relay.image).toMatch(/:[\w.-]*\d[\w.-]*$/);
    expect(relay.image).not.toMatch(/latest/);
    expect(app.environment).toHaveProperty('COLUMNWIRE_SECRET');
  });
});

describe('compose.scale.yaml', () => {
  // The YAML merge keys (<<: *columnwire) are resolved as compose resolves them.
  const compose = parseYaml(readFileSync(repo('compose.scale.yaml'), 'utf8'), { merge: true }) as {
    services: Record<
      string,
      { image?: string; command?: string[]; environment?: Record<string, string>; healthcheck?: unknown; depends_on?: unknown }
    >;
  };

  it('runs one http,scheduler process and workers on one PostgreSQL that is healthy before they start', () => {
    const { web, worker, postgres } = compose.services;
    expect(web!.command).toEqual(['columnwire', 'run', '--roles', 'http,scheduler']);
    expect(worker!.command).toEqual(['columnwire', 'run', '--roles', 'worker']);
    for (const service of [web!, worker!]) {
      const url = service.environment!.COLUMNWIRE_DATABASE_URL!.replace(/\$\{[^}]*\}/g, 'secret'); // as compose fills it in
      expect(new URL(url).hostname).toBe('postgres');
      expect(service.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
      expect(service.environment).toHaveProperty('SMTP_URL');
    }
    expect(postgres!.image).toMatch(/^postgres:15\.\d+/);
    expect(postgres!.healthcheck).toBeDefined();
  });
});
