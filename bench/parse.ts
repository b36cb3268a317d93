/**
 * Parse throughput: parseFeed against bare rss-parser on the same text. The bench is the one
 * place besides feeds/parse-feed.ts that imports rss-parser, because it is the floor.
 * One warm-up each, then `reps` timed runs alternating which goes first; medians reported.
 */
import Parser from 'rss-parser';
import { parseFeed } from '../src/feeds/parse-feed.ts';
import { median, stage, type RssSampler } from './measure.ts';

export interface ParseFigures {
  medianMs: number;
  minMs: number;
  maxMs: number;
  items: number;
  peakRssMb: number;
}

export interface ParseComparison {
  bytes: number;
  ours: ParseFigures;
  bare: ParseFigures;
}

/** Times parseFeed and `new Parser().parseString` on `text`; throws if either reads a different item count. */
export async function compareParsers(
  sampler: RssSampler,
  text: string,
  url: string,
  expectedItems: number,
  reps = 5,
): Promise<ParseComparison> {
  const runners = {
    ours: async () => (await parseFeed(text, url)).items.length,
    bare: async () => (await new Parser().parseString(text)).items.length,
  };
  const runs = { ours: [] as number[], bare: [] as number[] };
  const peaks = { ours: 0, bare: 0 };
  for (let rep = 0; rep <= reps; rep++) {
    const order = rep % 2 === 0 ? (['ours', 'bare'] as const) : (['bare', 'ours'] as const);
    for (const name of order) {
      const { value: items, ms, peakRssMb } = await stage(sampler, runners[name]);
      if (items !== expectedItems) throw new Error(`bench: ${name} parser read ${items} items, expected ${expectedItems}`);
      peaks[name] = Math.max(peaks[name], peakRssMb);
      if (rep > 0) runs[name].push(ms); // rep 0 is the warm-up
    }
  }
  const figures = (name: 'ours' | 'bare'): ParseFigures => ({
    medianMs: median(runs[name]),
    minMs: Math.min(...runs[name]),
    maxMs: Math.max(...runs[name]),
    items: expectedItems,
    peakRssMb: peaks[name],
  });
  return { bytes: Buffer.byteLength(text), ours: figures('ours'), bare: figures('bare') };
}
