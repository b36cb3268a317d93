/** `columnwire check [--json]`: validates the config and tries every feed once, storing nothing. */
import { join } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { checkFeeds, type FeedCheck } from '../feeds/check-feeds.ts';
import { trySettingsOf } from '../feeds/try-settings.ts';
import { parseSmtpUrl, verifySmtp } from '../digest/send-digest.ts';
import { parseSender } from '../config/parse-mailbox.ts';
import type { Config } from '../config/load.ts';
import { REDACTED, redactSecrets, redactUrl } from '../redact.ts';
import { parseCommandArgs, type Command } from './command.ts';
import { formatTable } from './format-table.ts';

const help = `Usage: columnwire check [--json]

Validates the config, then tries every feed once the way a poll would (following a page to
its feed, with the config's poll: timeout, size limit and address rules) without storing
anything. Prints a line per feed: ok with its item count, or error with the reason; and
which mail transport digests would use: SMTP_URL, which it connects to and greets (EHLO,
and login when it names a user; without one, a server that offers a login is asked to take
an envelope from mail.from to the first reader, and hung up on before the message, so one
that requires a login says so; no mail is sent), else the outbox folder. Warns, with both
feeds.yaml lines, about a feed listed twice under URLs that differ only in http/https, www.,
a trailing slash or tracking parameters, and, when digests are set up, about a baseUrl or
mail.from still pointing at localhost. Passwords in URLs are shown as ***.

Exit status: 0 when every feed works, 1 when any feed fails or the SMTP server does not
accept the connection, 2 when the config is invalid.

Options:
  --json       print {"config": {..., "warnings"}, "mail", "feeds": [...], "failed"} instead of a table
  -h, --help   show this help`;

type Mail =
  | { transport: 'smtp'; url: string; ok: boolean; error?: string }
  | { transport: 'outbox'; folder: string }
  | { transport: 'invalid'; problem: string };

export const checkCommand: Command = {
  name: 'check',
  help,
  async run({ argv, globals, stdout, stderr }) {
    const { values } = parseCommandArgs('check', argv, { json: { type: 'boolean' } });
    const config = loadConfig(globals.configPath);
    const mail = await describeMail(process.env.SMTP_URL, join(globals.dataDir, 'outbox'), probeEnvelope(config));
    const warnings = [...config.warnings, ...settingWarnings(config)];
    const progress = stderr.isTTY === true && !values.json;
    let done = 0;
    const checks = await checkFeeds(config.feeds, trySettingsOf(config.poll), config.poll, () => {
      if (progress) stderr.write(`\r\x1b[K[${++done}/${config.feeds.length}] checking...`);
    });
    if (progress) stderr.write('\r\x1b[K');
    const rows = checks.map(toRow);
    const failed = rows.filter((row) => row.status === 'error').length;
    const mailFailed = mail.transport === 'invalid' || (mail.transport === 'smtp' && !mail.ok);
    if (values.json) {
      stdout.write(
        `${JSON.stringify({ config: { path: config.path, feeds: config.feeds.length, digests: config.digests.length, warnings }, mail, feeds: rows, failed }, null, 2)}\n`,
      );
    } else {
      stdout.write(`config ok: ${config.path} (${count(config.feeds.length, 'feed')}, ${count(config.digests.length, 'digest')})\n`);
      for (const warning of warnings) stdout.write(`warning: ${warning}\n`);
      stdout.write(`mail: ${mailLine(mail)}\n`);
      if (rows.length > 0) {
        stdout.write(
          formatTable([
            ['ID', 'STATUS', 'ITEMS', 'DETAIL'],
            ...rows.map((row) => [row.id, row.status, row.items === null ? '-' : String(row.items), row.detail]),
          ]),
        );
      }
      stdout.write(`${count(rows.length, 'feed')}: ${rows.length - failed} ok, ${failed} failed\n`);
    }
    return failed > 0 || mailFailed ? 1 : 0;
  },
};

function toRow({ source, result }: FeedCheck) {
  const base = { id: source.id, url: redactUrl(source.url) };
  if (result.kind === 'failed')
    return { ...base, status: 'error' as const, items: null, title: null, feedUrl: null, detail: redactSecrets(result.reason) };
  const title = result.parsed.feed.title;
  // Worth knowing, though polling copes with both: it follows the page, and remembers the move.
  const note =
    result.pageUrl !== null
      ? `; the url is a page; its feed is ${result.feedUrl}`
      : result.feedUrl !== source.url
        ? `; moved permanently to ${result.feedUrl}`
        : '';
  const detail = redactSecrets(`${title ?? '(untitled)'}${note}`);
  return { ...base, status: 'ok' as const, items: result.parsed.items.length, title, feedUrl: redactUrl(result.feedUrl), detail };
}

/** Which transport digests would use, as app.ts chooses it (SMTP tried once), never showing a password. */
async function describeMail(smtpUrl: string | undefined, outboxFolder: string, probe: { from: string; to: string }): Promise<Mail> {
  if (!smtpUrl) return { transport: 'outbox', folder: outboxFolder };
  const url = parseSmtpUrl(smtpUrl);
  if (typeof url === 'string') {
    // A raw "%" in the password is said as such (the value is never echoed); anything else, the shape.
    const problem = url.includes('"%"') ? url : 'SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465';
    return { transport: 'invalid', problem };
  }
  // Built from the parsed parts, so no quirk of the raw text can carry the password through.
  const user = url.username ? `${url.username}${url.password ? `:${REDACTED}` : ''}@` : '';
  const shown = `${url.protocol}//${user}${url.host}`;
  const error = await verifySmtp(smtpUrl, undefined, probe);
  return error === null
    ? { transport: 'smtp', url: shown, ok: true }
    : { transport: 'smtp', url: shown, ok: false, error: redactSecrets(error, [smtpUrl]) };
}

/**
 * The envelope check tries when the server offers a login SMTP_URL does not give: mail.from to
 * the first reader a digest names (a relay takes mail for its own domain without a login), else
 * to mail.from itself.
 */
function probeEnvelope(config: Config): { from: string; to: string } {
  const from = parseSender(config.mail.from)?.address ?? config.mail.from;
  return { from, to: config.digests.find((digest) => digest.to.length > 0)?.to[0] ?? from };
}

function mailLine(mail: Mail): string {
  if (mail.transport === 'outbox') return `outbox ${mail.folder} (no SMTP_URL: digests are saved there as .eml files, not sent)`;
  if (mail.transport === 'invalid') return `error: ${mail.problem}`;
  return mail.ok ? `SMTP ${mail.url} ok (connected, EHLO accepted)` : `SMTP ${mail.url} error: ${mail.error}`;
}

/** Defaults that only make sense on the author's machine, once digests would mail real readers. */
function settingWarnings(config: Config): string[] {
  if (config.digests.length === 0) return [];
  const warnings: string[] = [];
  if (isLocal(new URL(config.baseUrl).hostname)) {
    warnings.push(
      `baseUrl is ${config.baseUrl}, so the unsubscribe and web links in digests point at this machine; set baseUrl: to the address readers reach the service at (e.g. https://news.example.com)`,
    );
  }
  const domain = /@([^@>\s]+)>?\s*$/.exec(config.mail.from)?.[1];
  if (domain === undefined || isLocal(domain)) {
    warnings.push(
      `mail.from is "${config.mail.from}", which mail servers reject or mark as spam; set mail: from: to an address your SMTP server may send as (e.g. "Digest <digest@example.com>")`,
    );
  }
  return warnings;
}

function isLocal(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host.startsWith('127.') || host === '[::1]' || host === '::1';
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
