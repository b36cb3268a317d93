/**
 * The digest choices benchmark (`npm run bench -- digest-choices`): the digest bench's 100
 * stories to 10,000 recipients, now subscribers kept as data, 30% of them with choices drawn
 * from 20 seeded selections (bench/digest-choices-model.ts). Beside it in the same run: the
 * same subscribers without choices, and the nodemailer floor before and after.
 *
 * How renders are counted without touching src: renderDigest reads `templates.mjml` once per
 * MJML compile and `templates.text` once per render (after its compiles), and every render of
 * a run goes through deps.templates, so the bench's deps carry a templates object whose getters
 * count. Render time is measured outside the run: one warm renderFor of the whole run, then
 * each selection's render timed as readStandings' copyFor first makes it (one at a time).
 * The fill target is judged on the fill itself (copyFor + composeMessage + the first read of the
 * html, every copy already rendered, choosers apart); the run's wall time outside renders per
 * recipient is printed beside it, but it holds the SMTP send, which the floor alone takes ~2-3 ms
 * a message on a small machine. A wrapping mailer checks a sample of copies as they are sent.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../src/app.ts';
import { parseConfig, type Config } from '../src/config/load.ts';
import { digestRecipients, planDigest } from '../src/digest/plan-digest.ts';
import { composeMessage, renderFor, runDigest, type DigestDeps } from '../src/digest/run-digest.ts';
import type { Mailer } from '../src/digest/send-digest.ts';
import { normalizeItems } from '../src/feeds/normalize-items.ts';
import { createLogger } from '../src/logger.ts';
import type { Story } from '../src/model.ts';
import { mulberry32 } from '../tests/helpers/prng.ts';
import { assignChoosers, choicesConfigYaml, expectedRenders, feedsChosen, makeSelections, OLD_FEED } from './digest-choices-model.ts';
import { FEEDS, formatDigestTable, IN_FLIGHT, recipientAddress, seedStories, sendRaw, STORIES, type DigestRow } from './digest.ts';
import type { SinkStats } from './digest-sink.ts';
import { checkCopy, countingTemplates, measureFill, type Sampled } from './digest-choices-probe.ts';
import { createRssSampler, fmt, median, toMb } from './measure.ts';
import { startChild, type Child } from './serve-child.ts';
import { fetchedState, serveFeedId, serveItem } from './serve-seed.ts';

const RECIPIENTS = 10_000;
const SEED = 13;
const WARM_REPS = 3;
const DAY_MS = 86_400_000;
/** One scenario's app: the stories seeded, 10,000 subscribers, choosers' preferences set, deps with counting templates and a checking mailer. */
async function prepareScenario(config: Config, dataDir: string, now: Date, choosers: ReadonlyMap<number, number>) {
  const app = await createApp({ config, dataDir, logger: createLogger({ level: 'warn' }) });
  // The old feed first: its stories get the lowest ids, under the first run's 24-hour cursor.
  const old = new Date(now.getTime() - 2 * DAY_MS);
  const oldItems = Array.from({ length: STORIES / FEEDS }, (_, k) => serveItem(OLD_FEED * 1_000 + k, OLD_FEED, { published: old }));
  await app.store.saveFetched(serveFeedId(OLD_FEED), normalizeItems(oldItems, old), fetchedState(OLD_FEED, old), old, null);
  await seedStories(app, now);
  const addresses = Array.from({ length: RECIPIENTS }, (_, index) => recipientAddress(index));
  await app.store.addSubscribers(
    'daily',
    addresses.map((address) => ({ address, name: null })),
    now,
  );
  const selections = makeSelections(mulberry32(SEED));
  for (const [recipient, selection] of choosers)
    await app.store.setPreferences('daily', addresses[recipient]!, { choices: selections[selection]! });
  return { app, addresses };
}

/** Runs the choices benchmark; cleans up its child and data dirs on return, error, SIGINT or exit. */
export async function runDigestChoicesBench(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'columnwire-digest-choices-'));
  const removeRoot = (): void => rmSync(root, { recursive: true, force: true });
  process.once('exit', removeRoot);
  const interrupted = (signal: NodeJS.Signals): void => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  const previousSmtpUrl = process.env.SMTP_URL;
  const sampler = createRssSampler(20);
  let sink: Child | undefined;
  const apps: App[] = [];
  const mailers: Mailer[] = [];
  try {
    console.log(`\ncolumnwire digest choices bench: Node ${process.version}, ${availableParallelism()} CPUs; data dir ${root}`);
    sink = await startChild('./digest-sink.ts');
    const sinkStats = () => sink!.request<SinkStats>({ type: 'stats' });
    process.env.SMTP_URL = sink.url;
    const yaml = choicesConfigYaml();
    writeFileSync(join(root, 'feeds.yaml'), yaml);
    const config = parseConfig(yaml, join(root, 'feeds.yaml'));
    const digest = config.digests[0]!;
    const now = new Date();
    const choosers = assignChoosers(RECIPIENTS, mulberry32(SEED + 1));
    const chosenAddresses = new Set([...choosers.keys()].map(recipientAddress));
    const selections = makeSelections(mulberry32(SEED));
    const expected = expectedRenders(selections);

    const rows: DigestRow[] = [];
    const checks: Array<[boolean, string]> = [];
    const check = (ok: boolean, text: string): void => void checks.push([ok, text]);
    let feedOfLink = new Map<string, number>();

    /** A scenario's deps: counting templates, and a mailer that checks a sample of the copies as they go. */
    const scenario = async (name: string, withChoices: boolean) => {
      const { app, addresses } = await prepareScenario(config, join(root, name), now, withChoices ? choosers : new Map());
      apps.push(app);
      const base = await app.digestDeps();
      mailers.push(base.mailer);
      const counting = countingTemplates(base.templates);
      // Sampled: every 10th chooser (its html too for every 50th) and every 100th other reader.
      const samples = new Map<string, Sampled>();
      let nth = 0;
      addresses.forEach((address, index) => {
        const selection = withChoices ? choosers.get(index) : undefined;
        if (selection !== undefined && nth++ % 10 === 0)
          samples.set(address, { feeds: feedsChosen(selections[selection]!), html: nth % 50 === 1 });
        else if (selection === undefined && index % 100 === 0)
          samples.set(address, { feeds: Array.from({ length: FEEDS }, (_, feed) => feed), html: index % 1_000 === 0 });
      });
      const checked = { copies: 0, failures: [] as string[], ms: 0 };
      const mailer: Mailer = {
        describe: base.mailer.describe,
        close: () => base.mailer.close(),
        async send(message) {
          const sampled = samples.get(message.to);
          if (sampled) {
            const started = performance.now();
            const failure = checkCopy(message, sampled, feedOfLink, STORIES / FEEDS);
            checked.ms += performance.now() - started;
            checked.copies++;
            if (failure) checked.failures.push(failure);
          }
          return base.mailer.send(message);
        },
      };
      const deps: DigestDeps = { ...base, templates: counting.templates, mailer, retryDelaysMs: [0] };
      return {
        app,
        deps,
        counts: counting.counts,
        checked,
        wantedCopies: [...samples.values()].filter((sampled) => sampled.feeds.length > 0).length,
        templates: base.templates,
      };
    };
    const plain = await scenario('plain', false);
    const chosen = await scenario('choices', true);

    const plan = await planDigest(digest, config, chosen.app.store, now);
    const recipients = await digestRecipients(digest, chosen.app.store);
    feedOfLink = new Map(plan.stories.map((story: Story) => [story.link ?? '', Number(story.feedId.slice(4))]));
    check(
      plan.stories.length === STORIES && recipients.length === RECIPIENTS,
      `plan: ${plan.stories.length}/${STORIES} stories (none of the old feed's), ${fmt(recipients.length)}/${fmt(RECIPIENTS)} recipients`,
    );
    console.log(
      `sink: smtp-server pid ${sink.pid} on ${sink.url}; ${FEEDS} feeds in the run + 1 first seen 2 days ago; ${fmt(RECIPIENTS)} subscribers kept as data, ${fmt(choosers.size)} with choices from ${selections.length} seeded selections (${expected.distinct} distinct partial story sets, ${expected.empty.length} yield nothing, ${expected.full.length} everything); ${IN_FLIGHT} in flight\n`,
    );

    // Warm-up (not measured): mjml's import and JIT, the nodemailer pool on both sides.
    const warmDeps = { ...chosen.deps, templates: chosen.templates };
    const renderTimes: number[] = [];
    for (let rep = 0; rep <= WARM_REPS; rep++) {
      const started = performance.now();
      await renderFor(digest, plan.stories, now, warmDeps);
      if (rep > 0) renderTimes.push(performance.now() - started);
    }
    const wholeRenderMs = median(renderTimes);
    rows.push({ what: `renderFor, whole run, warm (median of ${WARM_REPS})`, work: `${STORIES} stories`, ms: wholeRenderMs });
    const sample = composeMessage(
      digest,
      await renderFor(digest, plan.stories, now, warmDeps),
      recipients[0]!.address,
      '<x@y>',
      warmDeps,
      now,
    );
    const rawMail = {
      from: config.mail.from,
      to: sample.to,
      subject: sample.subject,
      html: sample.html,
      text: sample.text,
      messageId: sample.messageId,
      date: sample.date,
      headers: sample.headers,
      textEncoding: 'base64' as const,
    };
    const port = Number(new URL(sink.url).port);
    await sendRaw(port, rawMail, 300);
    let rawKb = 0;
    const rawRun = async (label: string) => {
      const before = await sinkStats();
      sampler.reset();
      const raw = await sendRaw(port, rawMail, RECIPIENTS);
      const peakRssMb = sampler.peakMb();
      const after = await sinkStats();
      rawKb = (after.bytes - before.bytes) / 1024 / RECIPIENTS;
      check(
        raw.failed === 0 && after.messages - before.messages === RECIPIENTS,
        `raw floor ${label}: the sink received ${fmt(after.messages - before.messages)}/${fmt(RECIPIENTS)}, ${raw.failed} sends failed`,
      );
      rows.push({
        what: `raw floor ${label}: nodemailer pool, 1 prebuilt msg`,
        work: `${fmt(RECIPIENTS)} messages`,
        ms: raw.ms,
        msgsPerS: RECIPIENTS / (raw.ms / 1000),
        usPerMsg: (raw.ms * 1000) / RECIPIENTS,
        mbPerS: toMb(after.bytes - before.bytes) / (raw.ms / 1000),
        peakRssMb,
      });
      return raw.ms;
    };
    const rawBefore = await rawRun('(before)');

    const timedRun = async (what: string, run: typeof plain) => {
      const sinkBefore = await sinkStats();
      sampler.reset();
      const started = performance.now();
      const result = await runDigest(digest, run.deps);
      const ms = performance.now() - started;
      const peakRssMb = sampler.peakMb();
      const sinkAfter = await sinkStats();
      const received = sinkAfter.messages - sinkBefore.messages;
      const report = result.runs.at(-1);
      const sent = report?.sent ?? 0;
      rows.push({
        what,
        work: `${fmt(RECIPIENTS)} rcpts: ${fmt(sent)} sent, ${fmt(report?.skipped ?? 0)} skipped`,
        ms,
        msgsPerS: sent / (ms / 1000),
        usPerMsg: (ms * 1000) / RECIPIENTS,
        mbPerS: toMb(sinkAfter.bytes - sinkBefore.bytes) / (ms / 1000),
        peakRssMb,
      });
      const deliveries = report ? await run.app.store.deliveries(report.runId) : [];
      const statuses = new Map<string, number>();
      for (const delivery of deliveries) statuses.set(delivery.status, (statuses.get(delivery.status) ?? 0) + 1);
      const ended = (statuses.get('sent') ?? 0) + (statuses.get('skipped') ?? 0);
      check(
        result.kind === 'sent' &&
          result.runs.length === 1 &&
          report?.done === true &&
          deliveries.length === RECIPIENTS &&
          ended === RECIPIENTS,
        `${what}: every delivery ended sent or skipped: ${[...statuses].map(([status, n]) => `${fmt(n)} ${status}`).join(', ')} of ${fmt(deliveries.length)}`,
      );
      check(received === sent, `${what}: the sink received ${fmt(received)} messages, the run reports ${fmt(sent)} sent`);
      check(
        run.checked.failures.length === 0 && run.checked.copies === run.wantedCopies,
        `${what}: ${fmt(run.checked.copies)}/${fmt(run.wantedCopies)} sampled copies (none to a sampled reader skipped) hold exactly their reader's stories${run.checked.failures.length > 0 ? `; ${run.checked.failures.length} wrong, first: ${run.checked.failures[0]}` : ''}`,
      );
      return { ms, report: report!, deliveries, kbPerMessage: (sinkAfter.bytes - sinkBefore.bytes) / 1024 / Math.max(1, sent) };
    };
    const plainRun = await timedRun('runDigest, plain (no choices)', plain);
    const plainRenders = { ...plain.counts };
    const choicesRun = await timedRun('runDigest, 30% with choices', chosen);
    const runRenders = { ...chosen.counts };
    const rawAfter = await rawRun('(after)');
    const floorMs = Math.min(rawBefore, rawAfter);

    const skippedWanted = [...choosers.values()].filter((selection) => expected.empty.includes(selection)).length;
    check(
      choicesRun.report.skipped === skippedWanted,
      `skipped: ${fmt(choicesRun.report.skipped)} readers, ${fmt(skippedWanted)} chose only what is not in the run`,
    );

    // Each selection's render, timed as copyFor first makes it (one at a time), then the fill with every copy made.
    sampler.reset();
    const fill = await measureFill(digest, chosen.app, chosen.deps, chosen.counts, now, (address) => chosenAddresses.has(address));
    const fillPeakMb = sampler.peakMb();
    const selectionRenderMs = fill.selectionRenderMs;
    rows.push({ what: 'renderFor per distinct selection, sum', work: `${fill.selectionRenders} selections`, ms: selectionRenderMs });
    const fillRow = (what: string, work: { count: number; ms: number }): void =>
      void rows.push({
        what,
        work: `${fmt(work.count)} recipients`,
        ms: work.ms,
        usPerMsg: (work.ms * 1000) / work.count,
        peakRssMb: fillPeakMb,
      });
    fillRow('fill, choosers: copyFor + compose + 1st read', fill.choosers);
    fillRow('fill, the others: same', fill.others);
    const chooserFillUs = (fill.choosers.ms * 1000) / fill.choosers.count;
    const fillUs = ((fill.choosers.ms + fill.others.ms) * 1000) / RECIPIENTS;

    const compileMs = wholeRenderMs + selectionRenderMs;
    const perRecipientUs = ((choicesRun.ms - compileMs - chosen.checked.ms) * 1000) / RECIPIENTS;
    const plainPerRecipientUs = ((plainRun.ms - wholeRenderMs - plain.checked.ms) * 1000) / RECIPIENTS;
    const rendersWanted = expected.distinct + 1;
    // Wall time outside renders includes SMTP itself, which the floor alone takes this long per message: it is reported, not judged.
    const floorUs = (floorMs * 1000) / RECIPIENTS;

    console.log(formatDigestTable(rows));
    console.log(
      `\nrenders counted by deps.templates getters (text: one per renderDigest; mjml: one per MJML compile): plain run ${plainRenders.renders} render(s), ${plainRenders.compiles} compile(s); choices run ${runRenders.renders} render(s), ${runRenders.compiles} compile(s); wanted ${expected.distinct} distinct partial story sets + 1 = ${rendersWanted}.`,
    );
    console.log(
      `per recipient outside renders: choices (${fmt(choicesRun.ms)} − ${fmt(compileMs)} ms renders − ${fmt(chosen.checked.ms)} ms sample checks) / ${fmt(RECIPIENTS)} = ${fmt(perRecipientUs, 1)} µs; plain (${fmt(plainRun.ms)} − ${fmt(wholeRenderMs)} − ${fmt(plain.checked.ms)}) / ${fmt(RECIPIENTS)} = ${fmt(plainPerRecipientUs, 1)} µs; pure fill ${fmt(fillUs, 1)} µs on average, ${fmt(chooserFillUs, 1)} µs per chooser. The wall figures include the SMTP send, which alone takes the floor ${fmt(floorUs, 1)} µs per message here.`,
    );
    console.log(`peak RSS MB: parent, sampled every 20 ms; rows without one ran outside a sampled stage.`);

    console.log('\nchecks:');
    for (const [ok, text] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
    console.log('\nratios, ours/floor (wall time):');
    console.log(
      `  plain     runDigest / raw nodemailer  ${(plainRun.ms / floorMs).toFixed(2)}x  (${fmt(plainRun.kbPerMessage, 1)} KB per message on the wire, the floor's ${fmt(rawKb, 1)} KB)`,
    );
    console.log(
      `  choices   runDigest / raw nodemailer  ${(choicesRun.ms / floorMs).toFixed(2)}x  (sends ${fmt(choicesRun.report.sent)} of the floor's ${fmt(RECIPIENTS)}, ${fmt(choicesRun.kbPerMessage, 1)} KB each on average: a chooser's copy holds fewer stories)`,
    );
    const targets: Array<[boolean, string]> = [
      [
        chooserFillUs < 1000,
        `per-recipient fill < 1 ms with choices: ${fmt(chooserFillUs, 1)} µs per chooser's copy (copyFor + composeMessage + first read); wall time in the run outside renders ${fmt(perRecipientUs, 1)} µs per recipient with choices, ${fmt(plainPerRecipientUs, 1)} µs plain, SMTP included (floor ${fmt(floorUs, 1)} µs per message)`,
      ],
      [
        runRenders.renders === rendersWanted,
        `compiles = distinct non-empty, non-full selections + 1: ${runRenders.renders} renders (${runRenders.compiles} MJML compiles) = ${expected.distinct} + 1`,
      ],
    ];
    console.log('\ntargets (from issue 13):');
    for (const [ok, text] of targets) console.log(`  ${ok ? 'PASS' : 'FAIL'} ${text}`);
    if (checks.some(([ok]) => !ok)) process.exitCode = 1;
  } finally {
    sampler.stop();
    for (const mailer of mailers) mailer.close();
    if (previousSmtpUrl === undefined) delete process.env.SMTP_URL;
    else process.env.SMTP_URL = previousSmtpUrl;
    for (const app of apps) await app.close();
    await sink?.close();
    removeRoot();
    process.off('exit', removeRoot);
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
}
