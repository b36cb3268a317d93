/** `columnwire poll`'s output to a pipe: lines in batches, none lost, none later than the wait. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { batchLines } from '../../src/commands/batch-lines.ts';

describe('batchLines', () => {
  afterEach(() => void vi.useRealTimers());

  const sink = () => {
    const writes: string[] = [];
    return { writes, stream: { write: (text: string) => (writes.push(text), true) } };
  };

  it('writes the lines queued within the wait as one write, when the wait ends', () => {
    vi.useFakeTimers();
    const { writes, stream } = sink();
    const lines = batchLines(stream, 100);
    lines.write('a: not modified\n');
    lines.write('b: 1 new\n');
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(99);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual(['a: not modified\nb: 1 new\n']);
    lines.write('c: failed\n');
    vi.advanceTimersByTime(100);
    expect(writes).toEqual(['a: not modified\nb: 1 new\n', 'c: failed\n']);
  });

  it('writes at once past 16 KiB, and everything left on flush, in order, with no timer left behind', () => {
    vi.useFakeTimers();
    const { writes, stream } = sink();
    const lines = batchLines(stream, 100);
    const line = `${'x'.repeat(99)}\n`;
    for (let i = 0; i < 200; i++) lines.write(line);
    expect(writes.length).toBe(1);
    expect(writes[0]!.length).toBeGreaterThanOrEqual(16_384);
    lines.flush();
    expect(writes.join('')).toBe(line.repeat(200));
    expect(vi.getTimerCount()).toBe(0);
    lines.flush();
    expect(writes.join('')).toBe(line.repeat(200));
  });
});
