/** The text is not a feed, or too broken to read anything from: a per-feed failure, never a crash. */
export class FeedParseError extends Error {
  override name = 'FeedParseError';
}
