/**
 * Prometheus metrics (prom-client, imported here only). Totals that outlive the process come
 * from the store at scrape time, so a restart does not reset them and `columnwire stats`
 * reads the same figures; the fetch-duration histogram is this process's own.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PollOutcome } from './model.ts';
import type { Store } from './storage/store.ts';

export interface Metrics {
  /** Records one polled feed: its outcome and how long fetch, parse and store took. */
  observeFeed(outcome: PollOutcome['kind'], seconds: number): void;
  /** The exposition text and its content type, for GET /metrics. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** What a process of a cluster (PostgreSQL mode) adds: gauges of the whole cluster, read at scrape time. */
export interface ClusterGaugeSources {
  feeds(): Promise<{ feedsDue: number; oldestDueLagMs: number | null; leased: number }>;
  queues(): Promise<{ polls: number; digests: number }>;
}

/** Creates a registry of columnwire's metrics over `store` (one per app, so tests can run several). */
export function createMetrics(store: Store, cluster?: ClusterGaugeSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const fetches = new Counter({
    name: 'columnwire_fetches_total',
    help: 'Feed fetches by outcome (stored, not_modified, failed).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'columnwire_fetch_duration_seconds',
    help: 'Time to fetch, parse and store one feed, by outcome (this process).',
    labelNames: ['outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60],
    registers: [registry],
  });
  const storiesStored = new Counter({ name: 'columnwire_stories_stored_total', help: 'New stories stored.', registers: [registry] });
  const storiesUpdated = new Counter({
    name: 'columnwire_stories_updated_total',
    help: 'Stored stories updated by an edit.',
    registers: [registry],
  });
  const stories = new Gauge({
    name: 'columnwire_stories',
    help: 'Stories stored now (retention removes old ones).',
    registers: [registry],
  });
  const feeds = new Gauge({ name: 'columnwire_feeds', help: 'Feeds in the config.', registers: [registry] });
  const feedsInError = new Gauge({ name: 'columnwire_feeds_in_error', help: 'Feeds whose last fetch failed.', registers: [registry] });
  const messages = new Counter({
    name: 'columnwire_digest_messages_total',
    help: 'Digest messages by digest and outcome (sent, failed).',
    labelNames: ['digest', 'outcome'],
    registers: [registry],
  });
  const pending = new Gauge({
    name: 'columnwire_digest_messages_pending',
    help: 'Digest messages waiting for a retry, by digest.',
    labelNames: ['digest'],
    registers: [registry],
  });
  const lastPoll = new Gauge({
    name: 'columnwire_last_poll_timestamp_seconds',
    help: 'When the last poll cycle finished (Unix time; 0 never).',
    registers: [registry],
  });
  const lastFetch = new Gauge({
    name: 'columnwire_last_successful_fetch_timestamp_seconds',
    help: 'When a feed was last fetched successfully (Unix time; 0 never).',
    registers: [registry],
  });

  const feedsDue = new Gauge({
    name: 'columnwire_cluster_feeds_due',
    help: 'Feeds due to be fetched now (cluster).',
    registers: [registry],
  });
  const feedsLeased = new Gauge({
    name: 'columnwire_cluster_feeds_leased',
    help: 'Feeds a worker is fetching now (cluster).',
    registers: [registry],
  });
  const dueLag = new Gauge({
    name: 'columnwire_cluster_oldest_due_lag_seconds',
    help: 'How long the most overdue feed has been due (cluster; 0 when none is).',
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: 'columnwire_cluster_queue_depth',
    help: 'Jobs waiting in the work queue, by queue (cluster).',
    labelNames: ['queue'],
    registers: [registry],
  });

  const setCounter = (counter: Counter, value: number, labels: Record<string, string> = {}) => {
    counter.reset();
    counter.inc(labels, value);
  };
  return {
    observeFeed(outcome, seconds) {
      duration.observe({ outcome: outcome.replace('-', '_') }, seconds);
    },
    async render() {
      const stats = await store.readStats();
      fetches.reset();
      fetches.inc({ outcome: 'stored' }, stats.counters['fetches.stored']);
      fetches.inc({ outcome: 'not_modified' }, stats.counters['fetches.not_modified']);
      fetches.inc({ outcome: 'failed' }, stats.counters['fetches.failed']);
      setCounter(storiesStored, stats.counters['stories.added']);
      setCounter(storiesUpdated, stats.counters['stories.updated']);
      stories.set(stats.stories);
      feeds.set(stats.feeds);
      feedsInError.set(stats.feedsInError);
      messages.reset();
      pending.reset();
      for (const { digestId, status, count } of stats.digestMessages) {
        if (status === 'pending') pending.set({ digest: digestId }, count);
        else messages.inc({ digest: digestId, outcome: status }, count);
      }
      lastPoll.set((stats.lastPollCycleAt?.getTime() ?? 0) / 1000);
      lastFetch.set((stats.lastSuccessfulFetchAt?.getTime() ?? 0) / 1000);
      if (cluster) {
        const [gauges, depths] = await Promise.all([cluster.feeds(), cluster.queues()]);
        feedsDue.set(gauges.feedsDue);
        feedsLeased.set(gauges.leased);
        dueLag.set((gauges.oldestDueLagMs ?? 0) / 1000);
        queueDepth.set({ queue: 'poll' }, depths.polls);
        queueDepth.set({ queue: 'digest' }, depths.digests);
      }
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
