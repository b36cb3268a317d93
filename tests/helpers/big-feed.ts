/** Large, well-formed RSS feeds: slow to parse for their size alone, with no hostile shape in them. */

/** RSS of `items` items of about 1.7 KB each: 5,000 make about 9 MB (a third of a second of CPU to parse). */
export function bigRss(items: number): Buffer {
  const item = (i: number) =>
    `<item><title>Column number ${i}</title><link>https://big.example/${i}</link><guid>big-${i}</guid>` +
    `<pubDate>Sun, 01 Jun 2025 08:00:00 GMT</pubDate><description>${'Words of a long column, said at length. '.repeat(40)}</description></item>\n`;
  return Buffer.from(
    `<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>${Array.from({ length: items }, (_, i) => item(i)).join('')}</channel></rss>`,
  );
}

/**
 * RSS of `items` tiny items, the most parsing per byte a valid feed asks: 150,000 make about
 * 9 MB (under the default poll.maxBytes) and well over a second of CPU to parse.
 */
export function denseRss(items: number): Buffer {
  const item = (i: number) => `<item><title>Column ${i}</title><guid>g-${i}</guid></item>`;
  return Buffer.from(
    `<?xml version="1.0"?><rss version="2.0"><channel><title>Dense</title>${Array.from({ length: items }, (_, i) => item(i)).join('')}</channel></rss>`,
  );
}
