/**
 * The scale bench's digest run (`BENCH_SCALE_RUNS=digest npm run bench -- scale`, only when asked):
 * one digest to N subscribers (BENCH_SCALE_DIGEST_RECIPIENTS, default 100,000) sent by 2
 * `--roles worker` processes under 1 `--roles scheduler` on a fresh schema, through the SMTP sink
 * child (bench/digest-sink.ts --record: each message's Message-ID and recipients). A worker picked
 * at random is killed with SIGKILL (and restarted) at 20%, 45% and 70% of the messages received.
 * Then, in the same run, the nodemailer floor: the first message's bytes sent N times over one
 * pool of 5 connections (bench/digest.ts's sendRaw) to the same sink.
 *
 * The trigger is the one tests/service/cluster-digest.test.ts uses: a previous run two days old,
 * so the scheduler owes the digest the run its schedule missed as soon as it starts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { normalizeItems } from '../src/feeds/normalize-items.ts';
import { createPostgresStore } from '../src/storage/postgres/postgres-store.ts';
import { item } from '../tests/helpers/items.ts';
import { streamFor } from '../tests/helpers/prng.ts';
import { IN_FLIGHT, sendRaw } from './digest.ts';
import type { SinkRecords, SinkStats } from './digest-sink.ts';
import { fmt, formatColumns } from './measure.ts';
import { createProcSampler, startColumnwire, stopColumnwire, type Columnwire } from './scale-processes.ts';
import { startChild } from './serve-child.ts';

/** Kills happen when the sink has received these fractions of the messages. */
const KILL_AT = [0.2, 0.45, 0.7];
const STORIES = 5;
/** A worker's digest jobs in hand (src/cluster/worker-role.ts: workDigests concurrency 2). */
const DIGEST_LOOPS = 2;
const FROM = 'digest@columnwire.example';

/** What the digest run needs from the scale bench. */
export interface DigestScaleContext {
  databaseUrl: string;
  createSchema(schema: string): Promise<void>;
  scratch: string;
  seed: number;
  tickSeconds: number;
  recipients: number;
}

export const subscriberAddress = (index: number): string => `reader${String(index).padStart(6, '0')}@example.org`;

function digestConfigYaml(): string {
  return [
    'title: Columnwire scale digest',
    'baseUrl: https://columnwire.example',
    'retentionDays: 0',
    'shutdownGraceSeconds: 5',
    'server:',
    '  port: 0',
    'mail:',
    `  from: "Columnwire <${FROM}>"`,
    'digests:',
    '  - id: daily',
    '    schedule: "0 7 * * *"',
    'feeds:',
    '  - url: https://jane.example.com/feed',
    '    id: jane',
    '',
  ].join('\n');
}

/** Subscribers, a few stories and a run two days old, so the scheduler's start owes the digest a run. */
async function seedStore(url: string, recipients: number): Promise<void> {
  const store = await createPostgresStore(url);
  try {
    const now = new Date();
    await store.syncFeeds([{ id: 'jane', url: 'https://jane.example.com/feed', title: 'Jane', outlet: null, tags: [] }]);
    // Next fetch a day away: the workers send the digest and poll nothing.
    const state = {
      url: 'https://jane.example.com/feed',
      etag: null,
      lastModified: null,
      ttlMinutes: null,
      nextFetchAt: new Date(now.getTime() + 86_400_000),
    };
    const items = Array.from({ length: STORIES }, (_, index) =>
      item({ id: `j${index}`, published: new Date(now.getTime() - index * 60_000) }),
    );
    await store.saveFetched('jane', normalizeItems(items, now), state, now, null);
    for (let from = 0; from < recipients; from += 5_000) {
      const batch = Array.from({ length: Math.min(5_000, recipients - from) }, (_, k) => ({
        address: subscriberAddress(from + k),
        name: null,
      }));
      await store.addSubscribers('daily', batch, now);
    }
    await store.createDigestRun({
      digestId: 'daily',
      createdAt: new Date(now.getTime() - 2 * 86_400_000),
      fromStoryId: 0,
      toStoryId: 0,
      storyIds: [],
      subject: 'old',
      recipients: [],
    });
  } finally {
    await store.close();
  }
}

/** Runs the digest part and prints its table and checks; false when a correctness check fails. */
export async function runDigestScale(context: DigestScaleContext): Promise<boolean> {
  const { recipients: n } = context;
  const dir = join(context.scratch, 'digest');
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'feeds.yaml');
  writeFileSync(configPath, digestConfigYaml());
  await context.createSchema('run_digest');
  const url = new URL(context.databaseUrl);
  url.searchParams.set('options', '-c search_path=run_digest');
  const seedStarted = performance.now();
  await seedStore(url.href, n);
  const seedMs = performance.now() - seedStarted;

  const sink = await startChild('./digest-sink.ts', { args: ['--record'] });
  const store = await createPostgresStore(url.href, { maxConnections: 2 });
  const sampler = createProcSampler(1_000);
  const processes: Columnwire[] = [];
  const problems: string[] = [];
  const logPath = join(dir, 'columnwire.log');
  const env = {
    COLUMNWIRE_DATABASE_URL: url.href,
    COLUMNWIRE_QUEUE_SCHEMA: 'run_digest_jobs',
    COLUMNWIRE_CLUSTER_TICK_SECONDS: String(context.tickSeconds),
    SMTP_URL: sink.url,
  };
  let started = 0;
  const start = (role: 'worker' | 'scheduler'): Columnwire => {
    const name = `${role}-${++started}`;
    const running = startColumnwire(name, { configPath, dataDir: join(dir, name), args: ['run', '--roles', role], env, logPath });
    sampler.track(running.pid, name);
    void running.exited.then((code) => {
      if (!running.expectedExit) problems.push(`${name} (pid ${running.pid}) exited on its own: ${code} (log: ${logPath})`);
    });
    processes.push(running);
    return running;
  };
  try {
    start('worker');
    start('worker');
    const startedAt = performance.now();
    start('scheduler');
    const random = streamFor(context.seed, 'kills', 'digest');
    const kills: Array<{ atMessages: number; name: string }> = [];
    const deadlineMs = Date.now() + 60_000 + n * 5;
    let runId: number | null = null;
    let doneMs = Number.NaN;
    for (;;) {
      if (problems.length > 0) throw new Error(`bench: scale digest: ${problems.join('; ')}`);
      if (Date.now() > deadlineMs) throw new Error(`bench: scale digest: the run was not done within ${fmt((60_000 + n * 5) / 1000)} s`);
      const { messages } = await sink.request<SinkStats>({ type: 'stats' });
      const due = KILL_AT[kills.length];
      if (due !== undefined && messages >= due * n) {
        const alive = processes.filter((candidate) => candidate.name.startsWith('worker') && !candidate.expectedExit);
        const victim = alive[Math.floor(random() * alive.length)]!;
        victim.expectedExit = true;
        victim.child.kill('SIGKILL');
        kills.push({ atMessages: messages, name: victim.name });
        await sleep(500);
        start('worker');
      }
      const run = (await store.listDigestRuns('daily', 1))[0];
      if (run && run.status !== 'done' && run.createdAt.getTime() > Date.now() - 86_400_000) runId = run.id;
      if (run && runId === run.id && run.status === 'done') {
        doneMs = performance.now() - startedAt;
        break;
      }
      await sleep(200);
    }
    sampler.sample();
    const running = processes.filter((candidate) => !candidate.expectedExit);
    const codes = await Promise.all(running.map((candidate) => stopColumnwire(candidate)));
    codes.forEach((code, index) => {
      if (code !== 0) problems.push(`${running[index]!.name} stopped with ${code} after SIGTERM (log: ${logPath})`);
    });
    const records = await sink.request<SinkRecords>({ type: 'records' });
    const deliveries = await store.deliveries(runId);

    // The floor: the first message's own bytes, N times, one pool of IN_FLIGHT connections (one worker's).
    const port = Number(new URL(sink.url).port);
    const before = await sink.request<SinkStats>({ type: 'stats' });
    const floor = await sendRaw(port, { envelope: { from: FROM, to: ['floor@example.org'] }, raw: records.firstRaw ?? '' }, n);
    const after = await sink.request<SinkStats>({ type: 'stats' });

    return report({
      n,
      seedMs,
      doneMs,
      kills,
      records,
      deliveries,
      floor,
      floorReceived: after.messages - before.messages,
      sampler,
      processes,
      problems,
    });
  } finally {
    sampler.stop();
    for (const candidate of processes) if (!candidate.expectedExit) await stopColumnwire(candidate).catch(() => {});
    await store.close();
    await sink.close();
  }
}

interface Evidence {
  n: number;
  seedMs: number;
  doneMs: number;
  kills: Array<{ atMessages: number; name: string }>;
  records: SinkRecords;
  deliveries: ReadonlyArray<{ address: string; status: string }>;
  floor: { ms: number; failed: number };
  floorReceived: number;
  sampler: ReturnType<typeof createProcSampler>;
  processes: readonly Columnwire[];
  problems: readonly string[];
}

/** Prints the table and the PASS/FAIL lines; false when a correctness check fails. */
function report(evidence: Evidence): boolean {
  const { n, records, deliveries, floor, kills } = evidence;
  const messages = records.messageIds.length;
  const ids = new Map<string, number>();
  for (const id of records.messageIds) ids.set(id, (ids.get(id) ?? 0) + 1);
  const duplicates = messages - ids.size;
  const idsByRecipient = new Map<string, Set<string>>();
  records.recipients.forEach((to, index) => {
    for (const address of to) idsByRecipient.set(address, (idsByRecipient.get(address) ?? new Set()).add(records.messageIds[index]!));
  });
  const mixedIds = [...idsByRecipient.values()].filter((set) => set.size > 1).length;
  let missing = 0;
  for (let index = 0; index < n; index++) if (!idsByRecipient.has(subscriberAddress(index))) missing++;
  const statuses = new Map<string, number>();
  for (const delivery of deliveries) statuses.set(delivery.status, (statuses.get(delivery.status) ?? 0) + 1);
  const unfinished = deliveries.length - (statuses.get('sent') ?? 0) - (statuses.get('failed') ?? 0);
  const sendSeconds = (records.lastAtMs - records.firstAtMs) / 1000;
  const oursRate = messages / sendSeconds;
  const floorRate = n / (floor.ms / 1000);
  const bound = kills.length * IN_FLIGHT * DIGEST_LOOPS;

  const body: string[][] = [
    ['recipients (subscribers in PostgreSQL)', fmt(n)],
    ['seed: subscribers + stories', `${fmt(evidence.seedMs)} ms`],
    ['messages received by the sink', fmt(messages)],
    ['ours, msgs/s aggregate (first → last message at the sink)', `${fmt(oursRate)} (${fmt(sendSeconds, 1)} s)`],
    ['ours, end to end (scheduler start → run done)', `${fmt(n / (evidence.doneMs / 1000))} msgs/s (${fmt(evidence.doneMs / 1000, 1)} s)`],
    [
      `nodemailer floor, 1 pool of ${IN_FLIGHT}, same bytes`,
      `${fmt(floorRate)} msgs/s (${fmt(floor.ms / 1000, 1)} s; ${fmt(evidence.floorReceived)} received, ${floor.failed} failed)`,
    ],
    ['ours / floor (rate)', `${(oursRate / floorRate).toFixed(2)}x`],
    ['kills (SIGKILL, restarted 0.5 s later)', kills.map((kill) => `${kill.name} at ${fmt(kill.atMessages)}`).join(', ') || 'none'],
    ['duplicates by Message-ID (extra copies)', `${fmt(duplicates)} (bound ${bound})`],
    ['recipients with more than one Message-ID', fmt(mixedIds)],
    ['deliveries by status (digest_deliveries)', [...statuses].map(([status, count]) => `${fmt(count)} ${status}`).join(', ')],
    ['missing recipients', fmt(missing)],
  ];
  for (const running of evidence.processes)
    body.push([
      `peak RSS ${running.name}${running.expectedExit && kills.some((kill) => kill.name === running.name) ? ' (killed)' : ''}`,
      `${fmt(evidence.sampler.peakRssMb(running.name))} MB`,
    ]);
  console.log(`\ndigest run: 1 scheduler + 2 workers, ${fmt(n)} subscribers, ${STORIES} stories, ${kills.length} kills`);
  console.log(formatColumns(['measure', 'value'], body, 2));
  for (const problem of evidence.problems) console.log(`  problem: ${problem}`);

  const checks: Array<[boolean, string]> = [
    [missing === 0, `missing recipients: ${fmt(missing)} of ${fmt(n)}`],
    [
      deliveries.length === n && unfinished === 0,
      `every delivery ends sent|failed: ${fmt(deliveries.length)} deliveries, ${fmt(unfinished)} in another state`,
    ],
    [
      duplicates <= bound && mixedIds === 0,
      `duplicates ≤ kills × in flight: ${fmt(duplicates)} ≤ ${kills.length} × ${DIGEST_LOOPS} loops × ${IN_FLIGHT} sends (a killed worker's claimed, unconfirmed copies; a resend keeps its Message-ID: ${fmt(mixedIds)} recipients got two different ones)`,
    ],
  ];
  console.log('\nchecks:');
  for (const [ok, text] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'} ${text}`);
  return checks.every(([ok]) => ok) && evidence.problems.length === 0;
}
