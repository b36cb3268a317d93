/**
 * The pages a reader uses to subscribe and to tune a digest: the signup form, "check your
 * inbox", the confirmation button, and preferences. Forms post to the site itself (the CSP's
 * form-action 'self'); no script. Everything printed is escaped. Pure.
 */
import { escapeHtml } from '../html-text.ts';
import type { ReaderChoices } from '../storage/store.ts';
import { renderLayout, sitePath, type SiteContext } from './render-site-page.ts';

/** A digest as a reader picks it. */
export interface OfferedDigest {
  id: string;
  name: string;
}

/** A page in the site's layout with `body` under an h1 of `title`. */
export function renderReaderPage(ctx: SiteContext, title: string, body: string): string {
  return renderLayout(ctx, { title, body: `<h1>${escapeHtml(title)}</h1>\n${body}`, feedPath: '', feedTitle: ctx.title });
}

/** /subscribe: address, digest, optional choices; a honeypot field people never see. */
export function renderSubscribeForm(ctx: SiteContext, digests: readonly OfferedDigest[], problem: string | null = null): string {
  const s = ctx.strings;
  if (digests.length === 0) return renderReaderPage(ctx, s.subscribeTitle, `<p>${escapeHtml(s.noSignupDigest)}</p>`);
  const body = `<p>${escapeHtml(s.subscribeIntro)}</p>
${problem ? `<p role="alert"><strong>${escapeHtml(problem)}</strong></p>` : ''}
<form class="card" action="${escapeHtml(sitePath(ctx.baseUrl, '/subscribe'))}" method="post">
<p><label for="email">${escapeHtml(s.emailLabel)}</label><br><input id="email" name="email" type="email" autocomplete="email" required maxlength="254"></p>
<p><label for="name">${escapeHtml(s.nameLabel)}</label><br><input id="name" name="name" type="text" autocomplete="name" maxlength="100"></p>
${renderDigestChoice(ctx, digests, digests[0]!.id)}
${renderChoices(ctx, { columnists: [], outlets: [], tags: [] })}
<p class="hp" aria-hidden="true"><label for="website">Website</label><input id="website" name="website" type="text" tabindex="-1" autocomplete="off"></p>
<p><button type="submit">${escapeHtml(s.subscribeButton)}</button></p>
</form>`;
  return renderReaderPage(ctx, s.subscribeTitle, body);
}

/** The same answer whatever the address: nothing tells who subscribes. */
export function renderCheckInbox(ctx: SiteContext, address: string, hours: number): string {
  return renderReaderPage(ctx, ctx.strings.checkInbox, `<p>${escapeHtml(ctx.strings.checkInboxText(address, String(hours)))}</p>`);
}

/** The confirmation link's page: one button (mail scanners follow links; only a person presses it). */
export function renderConfirm(ctx: SiteContext, token: string, address: string, digest: string): string {
  const s = ctx.strings;
  const body = `<form action="${escapeHtml(sitePath(ctx.baseUrl, '/subscribe/confirm'))}" method="post">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<p>${escapeHtml(s.confirmText(address, digest))}</p>
<p><button type="submit">${escapeHtml(s.confirmButton)}</button></p>
</form>`;
  return renderReaderPage(ctx, s.confirmTitle, body);
}

/** A reader's preferences for one digest; `subscriber` false for an address the operator listed in feeds.yaml. */
export function renderPreferences(
  ctx: SiteContext,
  page: {
    token: string;
    address: string;
    digest: OfferedDigest;
    /** Digests the reader may switch to (this one first). */
    digests: readonly OfferedDigest[];
    subscriber: { choices: ReaderChoices; paused: boolean } | null;
    /** The reader unsubscribed from this digest (or from every digest): the page says so. */
    unsubscribed?: boolean;
    /** Offer to subscribe again (the digest is offered for signup): through /subscribe and its confirmation mail. */
    resubscribe?: boolean;
    saved: boolean;
  },
): string {
  const s = ctx.strings;
  const tokenField = `<input type="hidden" name="token" value="${escapeHtml(page.token)}">`;
  if (page.unsubscribed) {
    const body = `<p>${escapeHtml(s.preferencesFor(page.address, page.digest.name))}</p>
<p role="status"><strong>${escapeHtml(s.unsubscribedNotice(page.digest.name))}</strong></p>
${
  page.resubscribe
    ? `<form action="${escapeHtml(sitePath(ctx.baseUrl, '/subscribe'))}" method="post">
<input type="hidden" name="email" value="${escapeHtml(page.address)}">
<input type="hidden" name="digest" value="${escapeHtml(page.digest.id)}">
${renderChoices(ctx, page.subscriber?.choices ?? { columnists: [], outlets: [], tags: [] })}
<p>${escapeHtml(s.resubscribeHint(page.address))}</p>
<p><button type="submit">${escapeHtml(s.resubscribeButton)}</button></p>
</form>`
    : ''
}`;
    return renderReaderPage(ctx, s.preferencesTitle, body);
  }
  const settings = page.subscriber
    ? `<form class="card" action="${escapeHtml(sitePath(ctx.baseUrl, '/preferences'))}" method="post">
${tokenField}
${renderDigestChoice(ctx, page.digests, page.digest.id)}
${renderChoices(ctx, page.subscriber.choices)}
<p><input id="paused" name="paused" type="checkbox" value="1"${page.subscriber.paused ? ' checked' : ''}> <label for="paused">${escapeHtml(s.pausedLabel)}</label></p>
<p><button type="submit">${escapeHtml(s.saveButton)}</button></p>
</form>`
    : `<p>${escapeHtml(s.listedByOperator)}</p>`;
  const body = `<p>${escapeHtml(s.preferencesFor(page.address, page.digest.name))}</p>
${page.saved ? `<p role="status"><strong>${escapeHtml(s.saved)}</strong></p>` : ''}
${settings}
<form action="${escapeHtml(sitePath(ctx.baseUrl, '/unsubscribe'))}" method="post">
${tokenField}
<p><button type="submit" name="scope" value="digest">${escapeHtml(s.unsubscribeThis)}</button> <button type="submit" name="scope" value="all">${escapeHtml(s.unsubscribeAll)}</button></p>
</form>`;
  return renderReaderPage(ctx, s.preferencesTitle, body);
}

function renderDigestChoice(ctx: SiteContext, digests: readonly OfferedDigest[], selected: string): string {
  if (digests.length === 1) return `<input type="hidden" name="digest" value="${escapeHtml(digests[0]!.id)}">`;
  const options = digests.map(
    (digest) => `<option value="${escapeHtml(digest.id)}"${digest.id === selected ? ' selected' : ''}>${escapeHtml(digest.name)}</option>`,
  );
  return `<p><label for="digest">${escapeHtml(ctx.strings.digestLabel)}</label><br><select id="digest" name="digest">${options.join('')}</select></p>`;
}

/** Checkboxes for every columnist, outlet and tag; those chosen are checked. */
function renderChoices(ctx: SiteContext, chosen: ReaderChoices): string {
  const s = ctx.strings;
  const group = (name: string, legend: string, values: ReadonlyArray<readonly [string, string]>, checked: readonly string[]) =>
    values.length === 0
      ? ''
      : `<fieldset><legend>${escapeHtml(legend)}</legend>${values
          .map(([value, label], index) => {
            const id = `${name}-${index}`;
            return `<span class="choice"><input id="${id}" name="${name}" type="checkbox" value="${escapeHtml(value)}"${checked.includes(value) ? ' checked' : ''}> <label for="${id}">${escapeHtml(label)}</label></span>`;
          })
          .join(' ')}</fieldset>`;
  return `<details${chosen.columnists.length + chosen.outlets.length + chosen.tags.length > 0 ? ' open' : ''}><summary>${escapeHtml(s.chooseLegend)}</summary>
${group(
  'columnist',
  s.columnists,
  ctx.directory.columnists.map((columnist) => [columnist.slug, columnist.name] as const),
  chosen.columnists,
)}
${group(
  'outlet',
  s.outlets,
  ctx.directory.outlets.map((outlet) => [outlet.slug, outlet.name] as const),
  chosen.outlets,
)}
${group(
  'tag',
  s.tags,
  ctx.tags.map((tag) => [tag, tag] as const),
  chosen.tags,
)}
</details>`;
}
