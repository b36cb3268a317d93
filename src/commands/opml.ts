/** `columnwire opml import <file>` adds an OPML subscription list to feeds.yaml; `opml export` prints the feeds as OPML. */
import { readFile } from 'node:fs/promises';
import { OpmlParseError, parseOpml, type OpmlSubscription } from '../config/parse-opml.ts';
import { planOpmlImport, type ImportPlan } from '../config/plan-opml-import.ts';
import { buildOpml, opmlFeeds } from '../publish/build-opml.ts';
import { updateConfigFile } from '../config/update-config-file.ts';
import { UsageError } from '../errors.ts';
import { decodeBody } from '../feeds/decode-body.ts';
import { redactUrl } from '../redact.ts';
import { writeFileAtomic } from '../write-file-atomic.ts';
import { parseCommandArgs, withApp, type Command, type CommandContext } from './command.ts';

const help = `Usage: columnwire opml import <file> [--tag T]...
       columnwire opml export [--output FILE] [--include-secrets]

import   adds the feeds of an OPML 1.0 or 2.0 subscription list (an export from Feedly,
         Inoreader, NetNewsWire, another columnwire, ...) to feeds.yaml, keeping its
         comments and layout. Folders and category attributes become lower-case tags;
         feeds already in the config (same URL up to http/https, www., a trailing slash and
         tracking parameters) and non-http(s) URLs are skipped. Nothing is fetched: run
         "columnwire check" afterwards to try the new feeds.
export   prints the feeds as OPML 2.0 (the document GET /opml serves), or writes FILE.
         Like /opml, it leaves out user names, passwords and secret parameters (token=,
         key=, sig=...) of private feeds' URLs; --include-secrets keeps them, for a full
         backup to import elsewhere: keep that file as private as feeds.yaml.

Options:
  --tag T         import: give every imported feed this tag too; repeat for more
  --output FILE   export: write the OPML to FILE (atomically) instead of stdout
  --include-secrets
                  export: keep the credentials in the feed URLs
  -h, --help      show this help`;

export const opmlCommand: Command = {
  name: 'opml',
  help,
  async run(context) {
    const [subcommand, ...argv] = context.argv;
    if (subcommand === 'import') return runImport({ ...context, argv });
    if (subcommand === 'export') return runExport({ ...context, argv });
    throw new UsageError(
      `opml: ${subcommand === undefined ? 'say' : `unknown subcommand "${subcommand}";`} import or export; see "columnwire opml --help"`,
    );
  },
};

async function runImport({ argv, globals, stdout }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('opml import', argv, { tag: { type: 'string', multiple: true } });
  if (positionals.length !== 1) throw new UsageError('opml import: give exactly one OPML file; see "columnwire opml --help"');
  const file = positionals[0]!;
  const subscriptions = await readOpml(file);
  const extraTags = (values.tag ?? []).map((tag) => tag.trim());
  let plan: ImportPlan = { entries: [], skipped: [] };
  const update = updateConfigFile(globals.configPath, `importing ${file}`, (current) => {
    plan = planOpmlImport(subscriptions, current.feeds, extraTags);
    return plan.entries.length === 0 ? null : { kind: 'add', entries: plan.entries };
  });
  for (const entry of plan.entries)
    stdout.write(`added ${entry.id}: ${redactUrl(entry.url)}${entry.tags?.length ? ` [${entry.tags.join(', ')}]` : ''}\n`);
  for (const skipped of plan.skipped) stdout.write(`skipped ${redactUrl(skipped.url)}: ${skipped.reason}\n`);
  const summary = `${plan.entries.length} feed${plan.entries.length === 1 ? '' : 's'} added, ${plan.skipped.length} skipped`;
  stdout.write(
    update
      ? `imported ${file} into ${globals.configPath}: ${summary}; run "columnwire check" to try them\n`
      : `${file}: nothing to import (${summary}); ${globals.configPath} is unchanged\n`,
  );
  return 0;
}

async function readOpml(file: string): Promise<OpmlSubscription[]> {
  const bytes = await readFile(file).catch((cause: NodeJS.ErrnoException) => {
    throw new UsageError(`opml import: cannot read ${file} (${cause.code ?? cause.message})`);
  });
  try {
    // Bytes, not text: an export may declare ISO-8859-1 or start with a byte-order mark.
    return parseOpml(decodeBody(bytes, null));
  } catch (error) {
    if (error instanceof OpmlParseError) throw new UsageError(`opml import: ${file}: ${error.message}`);
    throw error;
  }
}

async function runExport({ argv, globals, stdout }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('opml export', argv, {
    output: { type: 'string' },
    'include-secrets': { type: 'boolean' },
  });
  if (positionals.length > 0)
    throw new UsageError(`opml export: unexpected argument "${positionals[0]}"; use --output FILE to write a file`);
  return withApp(
    globals,
    async (app) => {
      // The served document by default, so the export is exactly what /opml shows.
      const body = values['include-secrets']
        ? buildOpml(app.config.title, opmlFeeds(app.config.feeds, await app.store.listFeeds()), new Date(), { includeSecrets: true })
        : (await (await app.publishedFeeds()).opml()).identity.toString('utf8');
      if (values.output === undefined) stdout.write(body);
      else writeFileAtomic(values.output, body);
      return 0;
    },
    'read-only',
  );
}
