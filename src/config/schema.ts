/**
 * Every setting of feeds.yaml: its type, default and range, in one place. README's config
 * reference mirrors this file. Messages are written to be read after "feeds.yaml:LINE: PATH".
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { isAddressOrRange } from '../feeds/address-policy.ts';
import { normalizeTag } from './normalize-tag.ts';
import { parseMailbox, parseSender } from './parse-mailbox.ts';
import { redactUrl } from '../redact.ts';
import { describeScheduleError } from '../scheduler.ts';

const httpUrl = z.string({ error: 'must be a URL string' }).refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  {
    error: (issue) =>
      `must be an http(s) URL, got ${JSON.stringify(typeof issue.input === 'string' ? redactUrl(issue.input) : issue.input)}`,
  },
);

/**
 * The site's public address: links are made by appending paths to it, and the server answers
 * under its path too, so a query or a fragment would end up in the middle of every link.
 */
const siteUrl = httpUrl
  .refine(
    (value) => {
      // An invalid URL is the check above's to report.
      return !value.includes('?') && !value.includes('#');
    },
    { error: "must be the site's address without a query (?…) or fragment (#…), e.g. https://example.com/columns/" },
  )
  // As a URL writes it (`/café news/` is `/caf%C3%A9%20news/`, the host lower-cased): links are
  // this text and a path, and a space or a raw accent is no URL in a feed or a List-Unsubscribe
  // header; the server answers under the encoded path, as clients send it. Written so already,
  // it is kept as it is (with or without its trailing slash).
  .transform((value) => {
    const href = new URL(value).href;
    return href === value || href === `${value}/` ? value : href;
  });

/** A PostgreSQL connection URL (postgres:// or postgresql://), as node-postgres and libpq read it. */
export function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    // The host may be a parameter: libpq's `postgresql:///columnwire?host=/var/run/postgresql` (a socket).
    return (
      (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && (url.hostname !== '' || Boolean(url.searchParams.get('host')))
    );
  } catch {
    return false;
  }
}

const postgresUrl = z.string({ error: 'must be a URL string' }).refine(isPostgresUrl, {
  error: (issue) =>
    `must be a PostgreSQL URL such as postgres://user:password@host:5432/columnwire, got ${JSON.stringify(typeof issue.input === 'string' ? redactUrl(issue.input) : issue.input)}`,
});

const text = z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' });
const int = (min: number, max: number) =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

// `Politics  UK` and `politics-uk` are one tag (one /tags/{tag} URL, one digest filter).
const tag = text.transform(normalizeTag);

export const FEED_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const feedSchema = z.strictObject(
  {
    url: httpUrl,
    id: z
      .string({ error: 'must be a string' })
      .regex(FEED_ID, { error: 'must be a slug: lower-case letters, digits, "-", "_" or ".", at most 64 characters' })
      .optional(),
    title: text.optional(),
    outlet: text.optional(),
    tags: z.array(tag, { error: 'must be a list of tags, like [politics, europe]' }).default([]),
  },
  { error: 'must be a mapping with at least a url: key' },
);

const pollSchema = z.strictObject({
  schedule: z
    .string({ error: 'must be a cron expression string' })
    .default('*/30 * * * *')
    .superRefine((value, ctx) => {
      const problem = describeScheduleError(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `must be a cron expression: ${problem}` });
    }),
  concurrency: int(1, 64).default(8),
  perHostConcurrency: int(1, 16).default(2),
  timeoutSeconds: z
    .number({ error: 'must be a number' })
    .positive({ error: 'must be more than 0' })
    .max(600, { error: 'must be at most 600' })
    .default(20),
  maxBytes: int(1024, 1024 ** 3).default(10 * 1024 * 1024),
  // Parsing runs in worker threads, so the main thread keeps serving while a feed is parsed.
  parseWorkers: int(1, 64).default(() => Math.max(1, availableParallelism() - 1)),
  parseTimeoutSeconds: z
    .number({ error: 'must be a number' })
    .positive({ error: 'must be more than 0' })
    .max(600, { error: 'must be at most 600' })
    .default(20),
  // Feed readers keep a feed's newest thousand or so; a document of 140,000 items is an attack.
  maxItemsPerFeed: int(1, 100_000).default(1000),
  allowPrivateAddresses: z
    .union(
      [
        z.boolean(),
        z.array(
          z.string().refine(isAddressOrRange, {
            error: (issue) => `must be an IP address or CIDR range like 10.0.0.0/8, got ${JSON.stringify(issue.input)}`,
          }),
        ),
      ],
      { error: 'must be true, false or a list of addresses and CIDR ranges like [127.0.0.1, 10.0.0.0/8]' },
    )
    .default(false),
});

const addressOrRange = z.string({ error: 'must be an IP address or CIDR range string' }).refine(isAddressOrRange, {
  error: (issue) => `must be an IP address or CIDR range like 10.0.0.0/8, got ${JSON.stringify(issue.input)}`,
});

/** Loopback, private and link-local ranges: the operator's machine and networks (like Miniflux's METRICS_ALLOWED_NETWORKS). */
export const DEFAULT_ADMIN_NETWORKS = ['127.0.0.0/8', '::1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fe80::/10'];

const serverSchema = z.strictObject({
  host: text.default('127.0.0.1'),
  port: int(0, 65535).default(8080),
  /** Clients allowed /metrics and /digests/{id}/preview, by socket address. */
  adminNetworks: z
    .array(addressOrRange, { error: 'must be a list of addresses and CIDR ranges like [127.0.0.1, 10.0.0.0/8]' })
    .default(() => [...DEFAULT_ADMIN_NETWORKS]),
  /** Reverse proxies whose X-Forwarded-For names the client the rate limits count (none by default). */
  trustedProxies: z
    .array(addressOrRange, { error: 'must be a list of addresses and CIDR ranges like [127.0.0.1, 10.0.0.0/8]' })
    .default(() => []),
});

const mailbox = z.string({ error: 'must be an email address' }).transform((value, ctx) => {
  const parsed = parseMailbox(value);
  if (parsed === null) {
    ctx.addIssue({
      code: 'custom',
      message: `must be an email address like reader@example.com or "Jane Doe <jane@example.com>", got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return parsed;
});
// One recipient may be written without the list brackets: `to: jane@example.com`.
// Optional: a digest may go only to the subscribers kept as data (`columnwire subscribers add|import`).
const recipients = z.preprocess(
  (value) => (typeof value === 'string' ? [value] : value),
  z.array(mailbox, { error: 'must be an email address or a list of them' }).default([]),
);

const publishSchema = z.strictObject({
  /** Published links lose `utm_*`, `fbclid`, `gclid`, `mc_*` and the like (canonical-url.ts); false keeps them as the feed gave them. */
  stripTracking: z.boolean({ error: 'must be true or false' }).default(true),
});

// Kept as written (it is the From header), once it reads as one mailbox: a typo here would
// otherwise only show as every copy refused, or as a From line no client can reply to.
const sender = text.refine((value) => value === '' || parseSender(value) !== null, {
  error: (issue) =>
    `must be one sender address like digest@example.com or "Columns <digest@example.com>", got ${JSON.stringify(issue.input)}`,
});

const mailSchema = z.strictObject({
  from: sender.default('Columnwire <columnwire@localhost>'),
  /** Permanent refusals (SMTP 5xx) in a row after which an address bounces and gets nothing more. */
  bounceThreshold: int(1, 100).default(3),
  /** Seconds after a run leaves copies pending (a 4xx, greylisting, the relay down) before the service tries them again; doubled each time, up to an hour. */
  retryPendingSeconds: int(1, 3600).default(300),
});

const timezone = z.string({ error: 'must be an IANA time zone name like Europe/London' }).refine(
  (value) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  },
  { error: (issue) => `must be an IANA time zone name like Europe/London or America/New_York, got ${JSON.stringify(issue.input)}` },
);

/** Languages the site's labels are written in (src/site/site-strings.ts). */
export const SITE_LOCALES = ['en', 'fr', 'es', 'de'] as const;

const siteSchema = z.strictObject({
  /** Labels and dates on the site's pages. */
  locale: z.enum(SITE_LOCALES, { error: `must be one of ${SITE_LOCALES.join(', ')}` }).default('en'),
  /** Dates on the site's pages are shown in this time zone. */
  timezone: timezone.default('UTC'),
  /** Stories per page (home, columnist, outlet, tag and search pages). */
  pageSize: int(5, 100).default(20),
});

const slug = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, { error: 'must be a slug: lower-case letters, digits and "-", at most 64 characters' });

const columnistSchema = z.strictObject(
  {
    /** The name shown; stories whose author is this name or one of the aliases are theirs (case, accents and punctuation aside). */
    name: text,
    aliases: z.array(text, { error: 'must be a list of names' }).default([]),
    /** Their page's address: /columnists/SLUG (default: made from the name). */
    slug: slug.optional(),
    photo: httpUrl.optional(),
    bio: text.optional(),
    /** Feeds whose stories with no author are theirs (a one-person feed that signs nothing). */
    feeds: z.array(text, { error: 'must be a list of feed ids' }).default([]),
    /** Multi-author feeds to pick them out of: those feeds keep only the items their picking columnists signed. */
    pickFrom: z.array(text, { error: 'must be a list of feed ids' }).default([]),
  },
  { error: 'must be a mapping with at least name:' },
);

const digestSchema = z
  .strictObject(
    {
      id: z.string({ error: 'must be a string' }).regex(FEED_ID, { error: 'must be a slug: lower-case letters, digits, "-", "_" or "."' }),
      schedule: z
        .string({ error: 'must be a cron expression string' })
        .default('0 7 * * *')
        .superRefine((value, ctx) => {
          const problem = describeScheduleError(value);
          if (problem) ctx.addIssue({ code: 'custom', message: `must be a cron expression: ${problem}` });
        }),
      timezone: timezone.default('UTC'),
      subject: text.default('Columns for {date} ({count})'),
      to: recipients,
      tags: z.array(tag, { error: 'must be a list of tags' }).default([]),
      feeds: z.array(text, { error: 'must be a list of feed ids' }).default([]),
      groupBy: z.enum(['outlet', 'columnist', 'tag', 'none'], { error: 'must be one of outlet, columnist, tag, none' }).default('outlet'),
      maxItems: int(1, 1000).default(100),
      /** Only stories published at most this long before they were first stored: a new feed's backlog is not news. */
      maxAgeHours: int(1, 24 * 365).default(48),
      skipEmpty: z.boolean({ error: 'must be true or false' }).default(true),
      /** Offered to readers on /subscribe. */
      signup: z.boolean({ error: 'must be true or false' }).default(false),
      /** The name readers see on /subscribe and their preferences (default: the id). */
      name: text.optional(),
    },
    { error: 'must be a mapping with at least id:' },
  )
  .transform(({ to, ...digest }) => ({
    ...digest,
    /** Bare addresses: each recipient's identity (Message-ID, unsubscribe token). */
    to: to.map((recipient) => recipient.address),
    /** Display names for the To header, by lower-cased address. */
    recipientNames: Object.fromEntries(
      to.flatMap((recipient) => (recipient.name === null ? [] : [[recipient.address.toLowerCase(), recipient.name] as const])),
    ),
  }));

export const configSchema = z.strictObject(
  {
    title: text.default('Columnists Digest'),
    baseUrl: siteUrl.default('http://localhost:8080'),
    retentionDays: int(0, 36500).default(90),
    /** Days a finished digest run keeps its per-recipient copies (bounce matching, `digest --status`); 0 keeps them for ever. */
    deliveryRetentionDays: int(0, 36500).default(30),
    /** PostgreSQL instead of the embedded SQLite file (env COLUMNWIRE_DATABASE_URL overrides it). */
    database: postgresUrl.optional(),
    /** On SIGTERM/SIGINT, how long fetches and the digest message in flight may take to finish. */
    shutdownGraceSeconds: int(0, 300).default(10),
    poll: pollSchema.prefault({}),
    server: serverSchema.prefault({}),
    publish: publishSchema.prefault({}),
    site: siteSchema.prefault({}),
    /** Who the columnists are, where author names alone would split or merge them. */
    columnists: z.array(columnistSchema, { error: 'must be a list of columnists, each starting with "- name: ..."' }).default([]),
    mail: mailSchema.prefault({}),
    digests: z.array(digestSchema, { error: 'must be a list of digests, each starting with "- id: ..."' }).default([]),
    /** A folder with digest.mjml and digest.txt replacing the built-in templates. */
    templates: text.optional(),
    feeds: z.array(feedSchema, { error: 'must be a list of feeds, each starting with "- url: ..."' }).default([]),
  },
  { error: 'must be a mapping of settings (title, baseUrl, poll, feeds, ...)' },
);

export type RawConfig = z.output<typeof configSchema>;
export type DigestConfig = RawConfig['digests'][number];
