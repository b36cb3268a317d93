/**
 * The digest benchmark (`npm run bench -- digest`): 100 stories to 10,000 recipients through a
 * real smtp-server in a child process (bench/digest-sink.ts, counting messages and bytes
 * without parsing). Measures MJML compile time (renderFor), per-recipient render time
 * (composeMessage), runDigest end to end (messages/s, RSS as recipients grow), and in the same
 * run the raw floor: nodemailer, pooled like ours, sending one prebuilt message of the same
 * size 10,000 times with as many in flight as ours. Prints a table, ours/raw, checks, targets.
 *
 * How "compiled once per run" is verified, without touching src: renderDigest compiles exactly
 * once per call of the makeView it is given, so the bench calls renderDigest with renderFor's
 * inputs and a counting makeView (the verdict); the timed run's prelude (start → first send:
 * planning, one renderFor and recording every delivery) is printed beside one renderFor.
 *
 * Memory as recipients grow: at 2,500/5,000/7,500/10,000 sends (counted by a wrapper around
 * the mailer in the bench's deps) RSS and heap are read, then a full GC is forced (v8 flag set
 * at runtime) and the live heap read: "flat" means the live heap does not grow with recipients.
 * The forced GCs (four, tens of ms each) are inside the timed run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { createApp, type App } from '../src/app.ts';
import { parseConfig } from '../src/config/load.ts';
import { buildDigestView } from '../src/digest/build-digest-view.ts';
import { digestMessageId, digestRecipients, planDigest } from '../src/digest/plan-digest.ts';
import { renderDigest } from '../src/digest/render-digest.ts';
import { composeMessage, renderFor, runDigest, type DigestDeps } from '../src/digest/run-digest.ts';
import type { Mailer, OutgoingMessage } from '../src/digest/send-digest.ts';
import { normalizeItems } from '../src/feeds/normalize-items.ts';
import { createLogger } from '../src/logger.ts';
import { columnistName } from './generate-feeds.ts';
import { createRssSampler, fmt, median, runPool, toMb } from './measure.ts';
import { startChild, type Child } from './serve-child.ts';
import type { SinkStats } from './digest-sink.ts';
import { fetchedState, serveFeedId, serveItem } from './serve-seed.ts';

const RECIPIENTS = 10_000;
export const FEEDS = 10;
export const STORIES = 100;
/** runDigest's default concurrency, and the pool's connections (src/digest/send-digest.ts). */
export const IN_FLIGHT = 5;
const COMPILE_REPS = 5;
const COMPOSE_REPS = 3;
const RAW_WARMUP = 300;
const CHECKPOINTS = [2_500, 5_000, 7_500, 10_000];
export const OUTLETS = ['The Northern Ledger', 'The Evening Courier', 'Metro Observer', 'Harbour Times', 'The Meridian'];
export const FROM = 'Columnwire <digest@columnwire.example>';
const MB = 1024 * 1024;

export interface DigestRow {
  what: string;
  work: string;
  ms: number;
  msgsPerS?: number;
  usPerMsg?: number;
  mbPerS?: number;
  peakRssMb?: number;
}

interface Checkpoint {
  sent: number;
  ms: number;
  rssMb: number;
  heapMb: number;
  /** Heap used right after a forced full GC: what the run keeps alive, without the sawtooth. */
  liveHeapMb: number;
}

/** A full GC on demand without --expose-gc on the command line (the flag is set, then a fresh context gets `gc`). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export const recipientAddress = (index: number): string => `r${String(index + 1).padStart(5, '0')}@example.com`;

/**
 * feeds.yaml for a digest bench: `title`, the feeds' entries (lines), and the one digest `daily`
 * of STORIES stories with `digestLines` more of its settings; mail from FROM, a server on port 0.
 */
export function benchDigestYaml(title: string, feeds: readonly string[], digestLines: readonly string[] = []): string {
  return [
    `title: ${title}`,
    'baseUrl: https://columnwire.example',
    'retentionDays: 0',
    'server:',
    '  host: 127.0.0.1',
    '  port: 0',
    'mail:',
    `  from: ${FROM}`,
    'feeds:',
    ...feeds,
    'digests:',
    '  - id: daily',
    `    maxItems: ${STORIES}`,
    ...digestLines,
    '',
  ].join('\n');
}

function digestConfigYaml(): string {
  const feeds = Array.from({ length: FEEDS }, (_, feed) =>
    [
      `  - url: https://columnists.example/${serveFeedId(feed)}/rss`,
      `    id: ${serveFeedId(feed)}`,
      `    title: ${columnistName(feed)}`,
      `    outlet: ${OUTLETS[feed % OUTLETS.length]}`,
    ].join('\n'),
  );
  return benchDigestYaml('Columnwire digest bench', feeds, [
    '    to:',
    ...Array.from({ length: RECIPIENTS }, (_, index) => `      - ${recipientAddress(index)}`),
  ]);
}

/** The digest bench's table: one line per row, rates right-aligned, '–' where a rate means nothing. */
export function formatDigestTable(rows: readonly DigestRow[]): string {
  const header = ['what ran', 'how much', 'ms', 'msgs/s', 'µs/msg', 'MB/s', 'peak RSS MB'];
  const cell = (value: number | undefined, digits = 0) => (value === undefined ? '–' : fmt(value, digits));
  const body = rows.map((row) => [
    row.what,
    row.work,
    cell(row.ms),
    cell(row.msgsPerS),
    cell(row.usPerMsg, 1),
    cell(row.mbPerS, 1),
    cell(row.peakRssMb),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((line) => line[column]!.length)));
  const line = (cells: string[]) =>
    cells.map((text, column) => (column < 2 ? text.padEnd(widths[column]!) : text.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)].join('\n');
}

/** Stores 100 stories, 10 per feed, first seen `now` (so a first digest run picks them all up). */
export async function seedStories(app: App, now: Date): Promise<number> {
  let summaryBytes = 0;
  for (let feed = 0; feed < FEEDS; feed++) {
    const items = Array.from({ length: STORIES / FEEDS }, (_, k) =>
      serveItem(feed * 1_000 + k, feed, { published: new Date(now.getTime() - (feed * 10 + k) * 7 * 60_000) }),
    );
    summaryBytes += items.reduce((sum, item) => sum + Buffer.byteLength(item.summary ?? ''), 0);
    await app.store.saveFetched(serveFeedId(feed), normalizeItems(items, now), fetchedState(feed, now), now, null);
  }
  return summaryBytes / STORIES;
}

/** The raw floor: one prebuilt message sent `count` times over a pooled transport like ours, `IN_FLIGHT` at a time. */
export async function sendRaw(port: number, mail: SendMailOptions, count: number): Promise<{ ms: number; failed: number }> {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: IN_FLIGHT,
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
  });
  let failed = 0;
  try {
    const started = performance.now();
    await runPool(
      Array.from({ length: count }, (_, index) => index),
      IN_FLIGHT,
      async () => {
        try {
          await transport.sendMail(mail);
        } catch {
          failed++;
        }
      },
    );
    return { ms: performance.now() - started, failed };
  } finally {
    transport.close();
  }
}

/** Runs the digest benchmark; cleans up its child and data dir on return, error, SIGINT or exit. */
export async function runDigestBench(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'columnwire-digest-bench-'));
  const removeDataDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  // The sink child is killed by its own 'exit' hook (serve-child.ts); the data dir goes here.
  process.once('exit', removeDataDir);
  const interrupted = (signal: NodeJS.Signals): void => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  const previousSmtpUrl = process.env.SMTP_URL;
  const sampler = createRssSampler(20);
  let sink: Child | undefined;
  let app: App | undefined;
  let deps: DigestDeps | undefined;
  try {
    console.log(`\ncolumnwire digest bench: Node ${process.version}, ${availableParallelism()} CPUs; data dir ${dataDir}`);
    sink = await startChild('./digest-sink.ts');
    const sinkStats = () => sink!.request<SinkStats>({ type: 'stats' });
    const port = Number(new URL(sink.url).port);

    const configPath = join(dataDir, 'feeds.yaml');
    const yaml = digestConfigYaml();
    writeFileSync(configPath, yaml);
    const config = parseConfig(yaml, configPath);
    const digest = config.digests[0]!;
    app = await createApp({ config, dataDir, logger: createLogger({ level: 'warn' }) });
    const now = new Date();
    const summaryBytes = await seedStories(app, now);

    // digestDeps reads SMTP_URL when called.
    process.env.SMTP_URL = sink.url;
    const base = await app.digestDeps();
    // Counts sends as they complete, for RSS checkpoints as recipients grow (bench-side; src untouched).
    let sent = 0;
    let runStarted = 0;
    let firstSendAt: number | undefined;
    const checkpoints: Checkpoint[] = [];
    const mailer: Mailer = {
      describe: base.mailer.describe,
      close: () => base.mailer.close(),
      async send(message) {
        firstSendAt ??= performance.now();
        const outcome = await base.mailer.send(message);
        if (outcome.kind === 'sent' && CHECKPOINTS.includes(++sent)) {
          const memory = process.memoryUsage();
          const ms = performance.now() - runStarted;
          collectGarbage();
          checkpoints.push({
            sent,
            ms,
            rssMb: memory.rss / MB,
            heapMb: memory.heapUsed / MB,
            liveHeapMb: process.memoryUsage().heapUsed / MB,
          });
        }
        return outcome;
      },
    };
    deps = { ...base, mailer, retryDelaysMs: [0] };

    const plan = await planDigest(digest, config, app.store, now);
    const recipients = await digestRecipients(digest, app.store);
    console.log(
      `sink: smtp-server pid ${sink.pid} on ${sink.url} (drains and counts, no parsing); ${FEEDS} feeds, ${fmt(plan.stories.length)} stories (summaries ${fmt(summaryBytes)} bytes on average), ${fmt(recipients.length)} recipients, maxItems ${digest.maxItems}; ${IN_FLIGHT} in flight for both ours and raw\n`,
    );

    const rows: DigestRow[] = [];
    const checks: Array<[boolean, string]> = [];
    const check = (ok: boolean, text: string): void => void checks.push([ok, text]);
    check(
      plan.stories.length === STORIES && recipients.length === RECIPIENTS,
      `plan: ${plan.stories.length}/${STORIES} stories, ${fmt(recipients.length)}/${fmt(RECIPIENTS)} recipients`,
    );

    // MJML compile: the first renderFor pays mjml's import; then warm, median of COMPILE_REPS.
    sampler.reset();
    let started = performance.now();
    let rendered = await renderFor(digest, plan.stories, now, deps);
    const coldMs = performance.now() - started;
    rows.push({ what: 'renderFor, first (imports mjml)', work: `${plan.stories.length} stories`, ms: coldMs, peakRssMb: sampler.peakMb() });
    const compileTimes: number[] = [];
    sampler.reset();
    for (let rep = 0; rep < COMPILE_REPS; rep++) {
      started = performance.now();
      rendered = await renderFor(digest, plan.stories, now, deps);
      compileTimes.push(performance.now() - started);
    }
    const compileMs = median(compileTimes);
    rows.push({
      what: `renderFor, warm (median of ${COMPILE_REPS})`,
      work: `${plan.stories.length} stories`,
      ms: compileMs,
      peakRssMb: sampler.peakMb(),
    });

    // How many MJML compiles one renderFor makes: renderDigest compiles once per makeView call.
    const sources = new Map(config.feeds.map((feed) => [feed.id, feed]));
    const [feedStates, lastNewStory] = await Promise.all([app.store.listFeeds(), app.store.lastNewStoryByFeed()]);
    let compiles = 0;
    const counted = await renderDigest(
      (fullStories, listedStories) => {
        compiles++;
        return buildDigestView({
          digest,
          title: config.title,
          baseUrl: config.baseUrl,
          stories: plan.stories,
          sources,
          feeds: feedStates,
          lastNewStory,
          now,
          fullStories,
          listedStories,
          unsubscribeUrl: '',
        });
      },
      Math.min(digest.maxItems, plan.stories.length),
      plan.stories.length,
      deps.templates,
    );
    const sampleHtml = rendered.html('https://columnwire.example/unsubscribe?token=x');
    check(
      counted.html('x') === rendered.html('x'),
      'compile count: renderDigest with a counting makeView gives the same HTML as renderFor',
    );

    // Per-recipient render: composeMessage for every address, median of COMPOSE_REPS.
    const addresses = recipients.map((recipient) => recipient.address);
    const messageIds = addresses.map((address) => digestMessageId(digest.id, now, address, config.mail.from));
    const composeTimes: number[] = [];
    let composedBytes = 0;
    sampler.reset();
    for (let rep = 0; rep < COMPOSE_REPS; rep++) {
      composedBytes = 0;
      started = performance.now();
      for (let index = 0; index < addresses.length; index++) {
        const message = composeMessage(digest, rendered, addresses[index]!, messageIds[index]!, deps, now);
        composedBytes += message.html.length + message.text.length;
      }
      composeTimes.push(performance.now() - started);
    }
    const composeMs = median(composeTimes);
    // The html composeMessage returns is a lazy string (replaceAll); its first full read flattens
    // it. nodemailer's isPlainText (same regex below) is that first read on the send path.
    // eslint-disable-next-line no-control-regex -- nodemailer's own class, copied to time the same read
    const plainTextRe = /[\x00-\x08\x0b\x0c\x0e-\x1f\u0080-\uFFFF]/;
    started = performance.now();
    const readSample = 2_000;
    for (let index = 0; index < readSample; index++)
      plainTextRe.test(composeMessage(digest, rendered, addresses[index]!, messageIds[index]!, deps, now).html);
    const composeReadMs = performance.now() - started;
    rows.push({
      what: `composeMessage per recipient (median of ${COMPOSE_REPS})`,
      work: `${fmt(addresses.length)} recipients`,
      ms: composeMs,
      msgsPerS: addresses.length / (composeMs / 1000),
      usPerMsg: (composeMs * 1000) / addresses.length,
      peakRssMb: sampler.peakMb(),
    });

    rows.push({
      what: 'composeMessage + first read of its html (once)',
      work: `${fmt(readSample)} recipients`,
      ms: composeReadMs,
      msgsPerS: readSample / (composeReadMs / 1000),
      usPerMsg: (composeReadMs * 1000) / readSample,
      peakRssMb: sampler.peakMb(),
    });

    // The raw floor's message: one composed copy of ours, same headers and encoding.
    const sample: OutgoingMessage = composeMessage(digest, rendered, addresses[0]!, messageIds[0]!, deps, now);
    const rawMail: SendMailOptions = {
      from: config.mail.from,
      to: sample.to,
      subject: sample.subject,
      html: sample.html,
      text: sample.text,
      messageId: sample.messageId,
      date: sample.date,
      headers: sample.headers,
      textEncoding: 'base64',
    };
    await sendRaw(port, rawMail, RAW_WARMUP); // warm-up, not measured: JIT of both sides, the pool
    const rawRun = async (label: string) => {
      const before = await sinkStats();
      sampler.reset();
      const raw = await sendRaw(port, rawMail, RECIPIENTS);
      const peakRssMb = sampler.peakMb();
      const after = await sinkStats();
      const messages = after.messages - before.messages;
      const bytes = after.bytes - before.bytes;
      check(
        messages === RECIPIENTS && raw.failed === 0,
        `raw floor ${label}: the sink received ${fmt(messages)}/${fmt(RECIPIENTS)} messages, ${raw.failed} sends failed`,
      );
      rows.push({
        what: `raw floor ${label}: nodemailer pool, 1 prebuilt msg`,
        work: `${fmt(RECIPIENTS)} messages`,
        ms: raw.ms,
        msgsPerS: RECIPIENTS / (raw.ms / 1000),
        usPerMsg: (raw.ms * 1000) / RECIPIENTS,
        mbPerS: toMb(bytes) / (raw.ms / 1000),
        peakRssMb,
      });
      return { ...raw, bytes, sinkCpuUs: after.cpuUs - before.cpuUs };
    };
    const rawBefore = await rawRun('(before)');

    // Ours, end to end.
    const sinkBefore = await sinkStats();
    collectGarbage();
    const liveStart = process.memoryUsage().heapUsed / MB;
    sampler.reset();
    const rssStart = process.memoryUsage.rss() / MB;
    const cpuBefore = process.cpuUsage();
    runStarted = performance.now();
    const result = await runDigest(digest, deps);
    const runMs = performance.now() - runStarted;
    const ownCpu = process.cpuUsage(cpuBefore);
    const runPeakMb = sampler.peakMb();
    const rssEnd = process.memoryUsage.rss() / MB;
    const sinkAfter = await sinkStats();
    const received = sinkAfter.messages - sinkBefore.messages;
    const oursBytes = sinkAfter.bytes - sinkBefore.bytes;
    rows.push({
      what: 'columnwire runDigest, end to end',
      work: `${fmt(RECIPIENTS)} recipients`,
      ms: runMs,
      msgsPerS: RECIPIENTS / (runMs / 1000),
      usPerMsg: (runMs * 1000) / RECIPIENTS,
      mbPerS: toMb(oursBytes) / (runMs / 1000),
      peakRssMb: runPeakMb,
    });
    const report = result.runs.at(-1);
    check(
      result.kind === 'sent' &&
        result.runs.length === 1 &&
        report?.sent === RECIPIENTS &&
        report.failed === 0 &&
        report.pending === 0 &&
        report.done,
      `runDigest: ${result.kind}, ${result.runs.length} run(s); sent ${report?.sent}, failed ${report?.failed}, pending ${report?.pending}, done ${report?.done}`,
    );
    check(received === RECIPIENTS, `ours: the sink received ${fmt(received)}/${fmt(RECIPIENTS)} messages`);
    const deliveries = report ? await app.store.deliveries(report.runId) : [];
    const statuses = new Map<string, number>();
    for (const delivery of deliveries) statuses.set(delivery.status, (statuses.get(delivery.status) ?? 0) + 1);
    check(
      deliveries.length === RECIPIENTS && statuses.get('sent') === RECIPIENTS,
      `store: ${fmt(deliveries.length)} deliveries, ${[...statuses].map(([status, n]) => `${fmt(n)} ${status}`).join(', ')}`,
    );
    check(
      Math.abs(oursBytes / rawBefore.bytes - 1) < 0.02,
      `message size: ours ${fmt(oursBytes / RECIPIENTS / 1024, 1)} KB, raw ${fmt(rawBefore.bytes / RECIPIENTS / 1024, 1)} KB on the wire per message`,
    );

    const rawAfter = await rawRun('(after)');
    const floorMs = Math.min(rawBefore.ms, rawAfter.ms);

    console.log(formatDigestTable(rows));
    console.log(
      `\nHTML per recipient ${fmt(Buffer.byteLength(sampleHtml) / 1024, 1)} KB (${rendered.fullStories} stories in full of ${plan.stories.length}), text ${fmt(Buffer.byteLength(sample.text) / 1024, 1)} KB; composed html+text ${fmt(composedBytes / addresses.length / 1024, 1)} K chars per recipient.`,
    );
    console.log(
      `peak RSS MB: parent, sampled every 20 ms and at the end of each stage; the sink child peaked at ${fmt(sinkAfter.maxRssMb)} MB (kernel maxrss).`,
    );
    console.log(
      `CPU during runDigest: parent ${fmt((ownCpu.user + ownCpu.system) / 1000)} ms (${fmt((ownCpu.user + ownCpu.system) / 10 / runMs)}% of one core), sink ${fmt((sinkAfter.cpuUs - sinkBefore.cpuUs) / 1000)} ms; raw floor (before): sink ${fmt(rawBefore.sinkCpuUs / 1000)} ms.`,
    );

    const prelude = firstSendAt === undefined ? Number.NaN : firstSendAt - runStarted;
    console.log(
      `\nMJML compiles: ${compiles} per renderFor (renderDigest with renderFor's inputs and a counting makeView); runDigest renders once for a new run and hands that to sendRun. Timed run: start → first send ${fmt(prelude)} ms (plan + renderFor + recording ${fmt(RECIPIENTS)} deliveries) against ${fmt(compileMs)} ms for one warm renderFor, and nothing is compiled per recipient; per-recipient work is the ${fmt((composeMs * 1000) / RECIPIENTS, 1)} µs composeMessage.`,
    );

    console.log('\nmemory as recipients grow (parent, during runDigest):');
    console.log(`  start ${fmt(rssStart)} MB RSS, live heap ${fmt(liveStart, 1)} MB`);
    for (const point of checkpoints)
      console.log(
        `  ${fmt(point.sent).padStart(6)} sent at ${fmt(point.ms).padStart(6)} ms: RSS ${fmt(point.rssMb)} MB, heap used ${fmt(point.heapMb)} MB, live heap after a full GC ${fmt(point.liveHeapMb, 1)} MB`,
      );
    console.log(`  end ${fmt(rssEnd)} MB RSS; peak ${fmt(runPeakMb)} MB`);
    const first = checkpoints[0];
    const last = checkpoints.at(-1);
    const growthMb = first && last ? last.liveHeapMb - first.liveHeapMb : Number.NaN;
    const quarterRates = checkpoints.map((point, index) => {
      const prev = index === 0 ? { sent: 0, ms: prelude } : checkpoints[index - 1]!;
      return (point.sent - prev.sent) / ((point.ms - prev.ms) / 1000);
    });
    console.log(`  send rate per quarter: ${quarterRates.map((rate) => fmt(rate)).join(', ')} msgs/s`);

    console.log('\nchecks:');
    for (const [ok, text] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
    const ratio = runMs / floorMs;
    console.log('\nratios, ours/floor (wall time; 1.00x = as fast as the floor, higher = slower):');
    console.log(
      `  digest send   runDigest / raw nodemailer  ${ratio.toFixed(2)}x  (ours ${fmt(runMs)} ms; raw ${fmt(rawBefore.ms)} ms before, ${fmt(rawAfter.ms)} ms after; the faster is the floor)`,
    );
    console.log(`  sends only    (run − prelude) / raw       ${((runMs - prelude) / floorMs).toFixed(2)}x`);

    const targets: Array<[boolean, string]> = [
      [
        compiles === 1,
        `MJML compiled once per run: ${compiles} compile(s) per renderFor (prelude ${fmt(prelude)} ms, which also records the ${fmt(RECIPIENTS)} deliveries, vs one renderFor ${fmt(compileMs)} ms)`,
      ],
      [
        (composeReadMs * 1000) / readSample < 1000,
        `per-recipient render under 1 ms: ${fmt((composeMs * 1000) / RECIPIENTS, 1)} µs (composeMessage); ${fmt((composeReadMs * 1000) / readSample, 1)} µs counting the first read of the html, which nodemailer pays`,
      ],
      [
        ratio <= 1.5,
        `whole send within 1.5x of the raw floor: ${ratio.toFixed(2)}x (${fmt(RECIPIENTS / (runMs / 1000))} vs ${fmt(RECIPIENTS / (floorMs / 1000))} msgs/s)`,
      ],
      [
        first !== undefined && last !== undefined && growthMb <= 5,
        `memory flat as recipients grow: live heap ${first ? fmt(first.liveHeapMb, 1) : '?'} MB at ${fmt(CHECKPOINTS[0]!)} sent → ${last ? fmt(last.liveHeapMb, 1) : '?'} MB at ${fmt(RECIPIENTS)} (${growthMb >= 0 ? '+' : ''}${fmt(growthMb, 1)} MB; flat = under +5 MB); RSS ${first ? fmt(first.rssMb) : '?'} → ${last ? fmt(last.rssMb) : '?'} MB, run peak ${fmt(runPeakMb)} MB`,
      ],
    ];
    console.log('\ntargets (from the issue):');
    for (const [ok, text] of targets) console.log(`  ${ok ? 'PASS' : 'FAIL'} ${text}`);
    if (checks.some(([ok]) => !ok)) process.exitCode = 1;
  } finally {
    sampler.stop();
    deps?.mailer.close();
    if (previousSmtpUrl === undefined) delete process.env.SMTP_URL;
    else process.env.SMTP_URL = previousSmtpUrl;
    await app?.close();
    await sink?.close();
    removeDataDir();
    process.off('exit', removeDataDir);
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
}
