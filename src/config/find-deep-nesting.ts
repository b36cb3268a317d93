/**
 * How deep a YAML text nests, found before the yaml library reads it. The library recurses once
 * per level, so a 4 MiB file of "[[[[…", "{{{{…" or "- - - …" takes it 10 to 40 seconds and up to
 * 1.8 GB before it reports a stack overflow (or runs the process out of memory): a running
 * service reloading such a file would stop answering, or die. A config nests a few levels.
 * Approximate but linear: block levels by indentation and "- "/"? " prefixes, flow levels by
 * "[" and "{" where a value may start; quoted scalars, comments and block scalars are skipped. Pure.
 */

/** Far deeper than any config (feeds[3].tags[0] is four levels), far below where the yaml library overflows its stack (about 900). */
export const MAX_NESTING = 64;

const STARTS = '\n:-,[{?';
/** A line ending in a block scalar's "|" or ">" (with its chomping and indentation indicators, maybe a comment). */
const BLOCK_SCALAR = /(?:^|[\s:-])[|>][-+0-9]*[ \t\r]*(?:#.*)?$/;

/** The line where `text` first nests deeper than MAX_NESTING levels, or null. */
export function findDeepNesting(text: string): number | null {
  const indents: number[] = [];
  let flow = 0;
  let quote: '"' | "'" | null = null;
  // Lines indented more than this are a block scalar's text (after "|" or ">"), not YAML.
  let scalarIndent: number | null = null;
  let last = '\n'; // the last character of a token (outside comments and quotes)
  const lines = text.split('\n');
  for (let number = 1; number <= lines.length; number++) {
    const line = lines[number - 1]!;
    let at = 0;
    let block = 0; // "- " and "? " prefixes on this line, each one level
    if (quote === null && flow === 0) {
      const indent = line.length - line.trimStart().length;
      const content = line.trimStart();
      if (content === '' || content.startsWith('#')) continue;
      if (scalarIndent !== null && indent > scalarIndent) continue;
      scalarIndent = null;
      while (indents.length > 0 && indents[indents.length - 1]! > indent) indents.pop();
      if (indents.length === 0 || indents[indents.length - 1]! < indent) indents.push(indent);
      at = indent;
      last = '\n';
      for (
        let prefix = /^[-?](?:[ \t]+|$)/.exec(line.slice(at, at + 8));
        prefix;
        prefix = /^[-?](?:[ \t]+|$)/.exec(line.slice(at, at + 8))
      ) {
        block++;
        at += prefix[0].length;
        if (indents.length + block > MAX_NESTING) return number;
      }
    }
    for (; at < line.length; at++) {
      const char = line[at]!;
      if (quote === "'") {
        if (char === "'" && line[at + 1] === "'") at++;
        else if (char === "'") quote = null;
        continue;
      }
      if (quote === '"') {
        if (char === '\\') at++;
        else if (char === '"') quote = null;
        continue;
      }
      if (char === ' ' || char === '\t' || char === '\r') continue;
      const before = at === 0 ? ' ' : line[at - 1]!;
      if (char === '#' && (before === ' ' || before === '\t')) break;
      // Where a value may start: after a space or a flow indicator, following ":", "-", ",", "[", "{", "?" or a line start.
      const startsValue =
        (char === '"' || char === "'" || char === '[' || char === '{') && ' \t[{,'.includes(before) && STARTS.includes(last);
      if (startsValue && (char === '"' || char === "'")) quote = char;
      else if (startsValue) flow++;
      else if ((char === ']' || char === '}') && flow > 0) flow--;
      last = char;
      if (indents.length + block + flow > MAX_NESTING) return number;
    }
    if (indents.length + block > MAX_NESTING) return number;
    // The regular expression only where the line's last token may be a block scalar's header.
    if (quote === null && flow === 0 && '|>-+0123456789'.includes(last) && BLOCK_SCALAR.test(line.slice(-200))) {
      scalarIndent = indents[indents.length - 1] ?? 0;
    }
  }
  return null;
}
