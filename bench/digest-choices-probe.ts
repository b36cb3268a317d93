/**
 * The digest choices bench's instruments, none of them in src: templates whose getters count
 * renders and MJML compiles, the check of one sent copy against its reader's choices, and the
 * fill timed outside the run (each selection's render as it is first made, then every copy).
 */
import type { DigestConfig } from '../src/config/schema.ts';
import type { Templates } from '../src/digest/render-digest.ts';
import { composeMessage, readStandings, renderRun, type DigestDeps } from '../src/digest/run-digest.ts';
import type { OutgoingMessage } from '../src/digest/send-digest.ts';
import type { App } from '../src/app.ts';

// eslint-disable-next-line no-control-regex -- nodemailer's isPlainText class: the first full read of the html, as in bench/digest.ts
const plainTextRe = /[\x00-\x08\x0b\x0c\x0e-\x1f\u0080-\uFFFF]/;

/** Templates whose getters count MJML compiles (`mjml`) and renders (`text`, read once per renderDigest). */
export function countingTemplates(templates: Templates): { templates: Templates; counts: { compiles: number; renders: number } } {
  const counts = { compiles: 0, renders: 0 };
  const counting = {
    get mjml() {
      counts.compiles++;
      return templates.mjml;
    },
    get text() {
      counts.renders++;
      return templates.text;
    },
  };
  return { templates: counting, counts };
}

export interface Sampled {
  /** The run's feeds whose stories this copy must hold (all of them for a reader without choices). */
  feeds: readonly number[];
  html: boolean;
}

/** Checks a copy: every story link in it is of a chosen feed, and those shown plus "and N more" make all the chosen stories. */
export function checkCopy(
  message: OutgoingMessage,
  sampled: Sampled,
  feedOfLink: ReadonlyMap<string, number>,
  perFeed: number,
): string | null {
  const parts: Array<[string, string, RegExp]> = [['text', message.text, /- and (\d+) more:/]];
  if (sampled.html) parts.push(['html', message.html, />and (\d+) more</]);
  if (sampled.feeds.length === 0) return `${message.to}: sent a copy though nothing the reader chose is in the run`;
  for (const [name, body, hiddenRe] of parts) {
    const found = new Set<string>();
    for (const [url] of body.matchAll(/https?:\/\/[^\s<>"']+/g)) if (feedOfLink.has(url)) found.add(url);
    const stray = [...found].filter((url) => !sampled.feeds.includes(feedOfLink.get(url)!));
    const hidden = Number(hiddenRe.exec(body)?.[1] ?? 0);
    if (stray.length > 0 || found.size + hidden !== sampled.feeds.length * perFeed)
      return `${message.to} ${name}: ${found.size} stories + ${hidden} hidden, ${stray.length} not chosen; wanted feeds [${sampled.feeds.join(',')}]`;
  }
  return null;
}

/** Recipients and the time their fills took. */
export interface FillTime {
  count: number;
  ms: number;
}

/**
 * Times the last run's fills as sendDeliveries makes them: readStandings' copyFor (a new
 * selection renders on first use, timed one at a time) then, with every copy made, copyFor +
 * composeMessage + the first read of the html (nodemailer's), for choosers and the others apart.
 */
export async function measureFill(
  digest: DigestConfig,
  app: App,
  deps: DigestDeps,
  counts: { renders: number },
  now: Date,
  isChooser: (address: string) => boolean,
): Promise<{ selectionRenders: number; selectionRenderMs: number; choosers: FillTime; others: FillTime }> {
  const run = await app.store.latestDigestRun(digest.id);
  if (!run) throw new Error('bench/digest-choices: no digest run to measure the fill of');
  const deliveries = await app.store.deliveries(run.id);
  const rendered = await renderRun(digest, run, deps);
  const { copyFor } = await readStandings(digest, run, rendered, deps);
  if (!copyFor) throw new Error('bench/digest-choices: readStandings found no choices');
  let selectionRenderMs = 0;
  const rendersBefore = counts.renders;
  for (const delivery of deliveries) {
    const before = counts.renders;
    const started = performance.now();
    await copyFor(delivery.address);
    if (counts.renders > before) selectionRenderMs += performance.now() - started;
  }
  const choosers: FillTime = { count: 0, ms: 0 };
  const others: FillTime = { count: 0, ms: 0 };
  for (const delivery of deliveries) {
    const started = performance.now();
    const copy = await copyFor(delivery.address);
    if (copy) plainTextRe.test(composeMessage(digest, copy, delivery.address, delivery.messageId, deps, now).html);
    const into = isChooser(delivery.address) ? choosers : others;
    into.ms += performance.now() - started;
    into.count++;
  }
  return { selectionRenders: counts.renders - rendersBefore, selectionRenderMs, choosers, others };
}
