/**
 * The two environment settings a cluster process reads besides the database: a bad value is
 * refused with the variable's name and what it takes (exit 2), not silently replaced by the
 * default (the tick) or reported in pg-boss's words (the schema).
 */
import { describe, expect, it } from 'vitest';
import { clusterTickSeconds } from '../../src/cluster/scheduler-role.ts';
import { queueSchema } from '../../src/commands/run-cluster.ts';
import { exitCodeOf } from '../../src/errors.ts';

describe('COLUMNWIRE_CLUSTER_TICK_SECONDS', () => {
  it.each([
    [undefined, 60],
    ['', 60],
    ['60', 60],
    ['15', 15],
    ['1', 1],
  ])('%j reads as %d', (value, seconds) => {
    expect(clusterTickSeconds(value === undefined ? {} : { COLUMNWIRE_CLUSTER_TICK_SECONDS: value })).toBe(seconds);
  });

  it.each(['7', 'abc', '0', '120', '1.5', '-30'])('%j is refused, naming the variable', (value) => {
    let thrown: unknown;
    try {
      clusterTickSeconds({ COLUMNWIRE_CLUSTER_TICK_SECONDS: value });
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).message).toBe(
      `COLUMNWIRE_CLUSTER_TICK_SECONDS must be a whole number of seconds that divides a minute (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60), got ${JSON.stringify(value)}`,
    );
    expect(exitCodeOf(thrown)).toBe(2);
  });
});

describe('COLUMNWIRE_QUEUE_SCHEMA', () => {
  it.each([
    [undefined, null],
    ['  ', null],
    ['columnwire_jobs', 'columnwire_jobs'],
    ['_q2', '_q2'],
    // Unquoted, PostgreSQL folds it (pg-boss creates `columnwire_jobs`); our own statements quote it.
    ['Columnwire_Jobs', 'columnwire_jobs'],
  ])('%j reads as %j', (value, schema) => {
    expect(queueSchema(value === undefined ? {} : { COLUMNWIRE_QUEUE_SCHEMA: value })).toBe(schema);
  });

  it.each(['bad"name; drop', '2jobs', 'jobs-queue', 'é', 'x'.repeat(51)])('%j is refused, naming the variable', (value) => {
    expect(() => queueSchema({ COLUMNWIRE_QUEUE_SCHEMA: value })).toThrow(/^COLUMNWIRE_QUEUE_SCHEMA must be a schema name of letters/);
  });
});
