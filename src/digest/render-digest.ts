/**
 * DigestView → email HTML (MJML) and plain text (the only importer of mjml). MJML is slow,
 * so it is compiled once per run with a marker where the per-recipient unsubscribe link
 * goes; each recipient's copy then joins the pieces between the markers with their link.
 * The marker holds a random nonce drawn for this render, after the stories were stored, so
 * no feed text can contain it (a fixed marker in a story title became the reader's link).
 * The HTML is kept under Gmail's clipping size (~102 KB) by listing the last stories by title only.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeHtml } from '../html-text.ts';
import { packageFile } from '../support/package-files.ts';
import type { DigestView } from './build-digest-view.ts';
import { fillTemplate } from './fill-template.ts';

export const MAX_HTML_BYTES = 100_000;

export interface Templates {
  mjml: string;
  text: string;
}

/** A digest compiled once, filled per recipient. */
export interface RenderedDigest {
  subject: string;
  /** Stories shown in full (the rest are listed by title). */
  fullStories: number;
  html(unsubscribeUrl: string): string;
  text(unsubscribeUrl: string): string;
}

/** Reads digest.mjml and digest.txt from `dir`, or the built-in templates when null. */
export async function loadTemplates(dir: string | null): Promise<Templates> {
  const read = (name: string) => readFile(join(dir ?? packageFile('templates'), name), 'utf8');
  try {
    const [mjml, text] = await Promise.all([read('digest.mjml'), read('digest.txt')]);
    return { mjml, text };
  } catch (cause) {
    throw new Error(
      `digest: cannot read the templates in ${dir ?? 'templates/'} (${(cause as Error).message}); it needs digest.mjml and digest.txt`,
      { cause },
    );
  }
}

/**
 * Renders the digest with as many full stories as fit: `makeView(full, listed)` gives the
 * view with `full` stories in full and `listed` of the rest by title. Full stories give way
 * first, then listed titles, until the HTML is under the limit.
 */
export async function renderDigest(
  makeView: (fullStories: number, listedStories: number) => DigestView,
  wanted: number,
  total: number,
  templates: Templates,
  maxHtmlBytes = MAX_HTML_BYTES,
): Promise<RenderedDigest> {
  // 128 random bits: a URL that survives MJML untouched and that nothing stored can contain.
  const marker = `https://columnwire.invalid/unsubscribe-${randomBytes(16).toString('hex')}`;
  let full = wanted;
  let listed = total - full;
  let view = makeView(full, listed);
  let html = await compile(templates.mjml, view, marker);
  for (let attempt = 0; Buffer.byteLength(html) > maxHtmlBytes && full + listed > 0 && attempt < 12; attempt++) {
    // Shrink in proportion to the overshoot, a little more to be sure.
    const ratio = (maxHtmlBytes / Buffer.byteLength(html)) * 0.9;
    if (full > 0) {
      full = Math.max(0, Math.min(full - 1, Math.floor(full * ratio)));
      listed = total - full;
    } else {
      listed = Math.max(0, Math.min(listed - 1, Math.floor(listed * ratio)));
    }
    view = makeView(full, listed);
    html = await compile(templates.mjml, view, marker);
  }
  const htmlPieces = html.split(marker);
  const textPieces = fillTemplate(templates.text, { ...view, unsubscribeUrl: marker }, (value) => value).split(marker);
  return {
    subject: view.subject,
    fullStories: full,
    html: (unsubscribeUrl) => htmlPieces.join(escapeHtml(unsubscribeUrl)),
    text: (unsubscribeUrl) => textPieces.join(unsubscribeUrl),
  };
}

async function compile(template: string, view: DigestView, marker: string): Promise<string> {
  // Loaded on first use: mjml and its dependencies take a quarter second to import, which
  // every other command (poll, serve, export) would pay for nothing.
  const { default: mjml2html } = await import('mjml');
  const source = fillTemplate(template, { ...view, unsubscribeUrl: marker }, escapeHtml);
  const result = await mjml2html(source, { validationLevel: 'soft', keepComments: false });
  if (!result.html)
    throw new Error(`digest: the MJML template produced no HTML: ${result.errors.map((error) => error.formattedMessage).join('; ')}`);
  // Numeric references for everything beyond Latin-1 keep the string one byte per character:
  // V8 then fills each recipient's copy in microseconds instead of flattening ~200 KB of
  // two-byte text per message (measured: 19 µs against ~1 ms).
  const latin1 = result.html.replace(/[\u{100}-\u{10FFFF}]/gu, (char) => `&#${char.codePointAt(0)};`);
  // A round trip through latin1 bytes makes V8 store the result as a flat one-byte string.
  return Buffer.from(latin1, 'latin1').toString('latin1');
}
