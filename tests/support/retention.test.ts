import { describe, expect, it } from 'vitest';
import { retentionCutoff } from '../../src/support/retention.ts';

describe('retentionCutoff', () => {
  const now = new Date('2026-12-07T12:00:00Z');
  it.each([
    [0, null],
    [1, '2026-12-06T12:00:00.000Z'],
    [30, '2026-11-07T12:00:00.000Z'],
    [365, '2025-12-07T12:00:00.000Z'],
  ])('keeps %i days: prunes before %s', (days, cutoff) => {
    expect(retentionCutoff(now, days)?.toISOString() ?? null).toBe(cutoff);
  });
});
