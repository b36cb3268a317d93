/**
 * The site bench's text: excerpts written from a fixed vocabulary of real English words, drawn
 * with a Zipf-like skew (the first content words are in most excerpts, the last in a few), so a
 * full-text search has common, middling, rare and absent words to look for. Deterministic:
 * the same random stream writes the same excerpt. Pure.
 */

/** Words that glue a sentence together (a third of the words written). */
const FUNCTION_WORDS =
  'the of and to a in that is for it on with as was but be by this are not or at from have has they which their its will would can more than when who were been could should about after into over'.split(
    ' ',
  );

/**
 * Content words, most frequent first: the n-th (from 1) is drawn in proportion to 1 / n^ZIPF_S.
 * "government" leads; "inflation" is 40th; the "ab…" words sit across the list; the tail
 * ("lighthouse" among them) turns up in a few excerpts in a thousand.
 */
export const CONTENT_WORDS = (
  'government people year country public money policy minister party economy ' +
  'voters budget growth council housing market schools health services report ' +
  'workers families business plan prices energy reform election change future ' +
  'debate crisis system rules spending tax court police children inflation ' +
  'pressure promise decade region cities towns ability communities wages rents ' +
  'billion million figures numbers evidence experts critics leaders officials ministers ' +
  'parliament opposition campaign strategy promises voters pensions benefits hospital doctors ' +
  'nurses teachers students universities research science climate emissions weather floods ' +
  'farmers transport railways roads buses trains airports ports shipping trade ' +
  'exports imports tariffs industry factories jobs unemployment employers unions strike ' +
  'abroad europe brussels washington beijing security defence army navy border ' +
  'migration asylum refugees welfare poverty charity volunteers church culture museums ' +
  'theatre music football sport television radio newspapers journalists media internet ' +
  'technology software data privacy algorithms platforms regulation competition banks lending ' +
  'mortgages savings investors shares bonds interest rates deficit borrowing treasury ' +
  'absence planning landlords tenants buildings homes builders developers land rural ' +
  'water rivers sewage pollution waste recycling electricity gas nuclear wind ' +
  'solar batteries carbon forests wildlife gardens parks libraries pubs shops ' +
  'restaurants tourism holidays airlines fuel petrol cars drivers cycling safety ' +
  'crime prisons judges lawyers justice rights freedom speech protest history ' +
  'memory archive abuse inquiry scandal resignation apology trust loyalty ambition ' +
  'academic courage patience compromise reckoning consensus division anger hope fear ' +
  'optimism fatigue uncertainty stability confidence momentum caution warning forecast outlook ' +
  'recession recovery productivity investment infrastructure subsidy grants loans debt austerity ' +
  'generosity fairness inequality wealth income salary bonus landlord tenant commuter ' +
  'pensioner graduate apprentice entrepreneur craftsman engineer architect designer novelist poet ' +
  'painter composer historian philosopher economist scientist surgeon midwife carer firefighter ' +
  'absurdity abstraction abundance academy accent allotment almanac amber anchor anthem ' +
  'balcony bandstand barley beacon biscuit blossom bonfire bramble bridge cathedral ' +
  'chimney cider clocktower cobblestone cottage dockyard drizzle estuary ferry fishmonger ' +
  'foghorn greenhouse harbour hedgerow heron kettle lantern lighthouse marmalade meadow ' +
  'orchard pier quarry rookery saltmarsh shipyard signalbox tramline viaduct windmill'
)
  .split(' ')
  .filter((word, index, all) => all.indexOf(word) === index);

/** The skew: 1 would put the first word in nearly every excerpt; less flattens it. */
const ZIPF_S = 0.95;
/** Share of words drawn from FUNCTION_WORDS. */
const FUNCTION_SHARE = 0.35;

const cumulative = (() => {
  let sum = 0;
  const weights = CONTENT_WORDS.map((_, index) => (sum += 1 / (index + 1) ** ZIPF_S));
  return weights.map((weight) => weight / sum);
})();

/** A content word drawn with the skew (binary search of the cumulative weights). */
function contentWord(next: () => number): string {
  const target = next();
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (cumulative[middle]! < target) low = middle + 1;
    else high = middle;
  }
  return CONTENT_WORDS[low]!;
}

function sentence(next: () => number): string {
  const length = 8 + Math.floor(next() * 13);
  const words = Array.from({ length }, () =>
    next() < FUNCTION_SHARE ? FUNCTION_WORDS[Math.floor(next() * FUNCTION_WORDS.length)]! : contentWord(next),
  );
  return `${words.join(' ').replace(/^./, (c) => c.toUpperCase())}.`;
}

/** An excerpt of `minChars`–`maxChars` characters of text, as HTML paragraphs; also its text. */
export function writeExcerpt(next: () => number, minChars: number, maxChars: number): { html: string; text: string } {
  const target = minChars + Math.floor(next() * (maxChars - minChars + 1));
  const sentences: string[] = [];
  let length = -1;
  while (length < target) {
    const added = sentence(next);
    if (length + 1 + added.length > maxChars && length >= minChars) break;
    sentences.push(added);
    length += 1 + added.length;
  }
  const paragraphs: string[] = [];
  for (let start = 0; start < sentences.length; start += 3) paragraphs.push(sentences.slice(start, start + 3).join(' '));
  return { html: paragraphs.map((text) => `<p>${text}</p>`).join('\n'), text: sentences.join(' ') };
}

/**
 * Searches no two alike, in the proportions of the bench's six (a common, a middling and a rare
 * word, a phrase, a prefix, a word found nowhere): rotated through, none comes back before
 * hundreds of others, so a server's kept rankings (the last 64 per search thread) never answer.
 */
export function distinctSearchQueries(perKind = 50): string[] {
  const words = CONTENT_WORDS;
  const kinds = [
    (j: number) => words[j % words.length]!,
    (j: number) => words[(50 + j * 3) % words.length]!,
    (j: number) => words[words.length - 1 - (j % words.length)]!,
    (j: number) => `"${words[j % words.length]!} ${words[(j + 1) % words.length]!}"`,
    (j: number) => `${words[(j * 7) % words.length]!.slice(0, 2 + (j % 2))}*`,
    (j: number) => `zq${j}x`,
  ];
  const queries = new Set<string>();
  for (let j = 0; queries.size < perKind * kinds.length && j < perKind * 20; j++)
    for (const kind of kinds) if (queries.size < perKind * kinds.length) queries.add(kind(j));
  return [...queries];
}
