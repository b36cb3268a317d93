// scratch: not committed
import { writeFile, mkdir, rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { startFeedServer, benchConfigYaml } from './ingest.ts';
const dir = '/work/prof/run';
await rm(dir, { recursive: true, force: true });
await mkdir(dir, { recursive: true });
const server = await startFeedServer(1000);
await writeFile(`${dir}/feeds.yaml`, benchConfigYaml(server.urls, 16));
const pass = (name: string) => {
  const t = performance.now();
  const r = spawnSync('node', ['--cpu-prof', '--cpu-prof-dir', `/work/prof/${name}`, 'bin/columnwire.js', '--config', `${dir}/feeds.yaml`, '--data', `${dir}/data`, 'poll'], { encoding: 'utf8' });
  console.log(name, (performance.now() - t).toFixed(0), 'ms', r.stdout.split('\n').filter(l => / feeds?:/.test(l)).join(''), r.stderr.slice(0, 300));
};
await rm('/work/prof/fresh', { recursive: true, force: true });
await rm('/work/prof/changed', { recursive: true, force: true });
pass('fresh');
await server.setVersion(2);
pass('changed');
server.close();
