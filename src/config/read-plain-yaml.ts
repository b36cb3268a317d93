/**
 * The fast way to read a plain feeds.yaml (the only importer of js-yaml). The yaml library,
 * which load.ts keeps for every other file and for every message that needs a line number,
 * builds a document tree with source ranges: for 20,000 feeds it takes 1.5 s and 100 MB that
 * the process keeps. js-yaml builds plain values only, ten times as fast.
 *
 * The two libraries read some YAML differently (multi-line and block scalars, tabs, complex and
 * null keys, nested compact sequences, octal and binary numbers…), so this takes only files whose
 * every line is of a few plain shapes that both read alike, and declines (undefined) the rest:
 *   comment or blank · `key:` · `key: value` · `- value` · `- key: value` · `- key:`
 * where a key is a word, and a value is a plain scalar on one line (no indicator first, no ": ",
 * " #", tab or quote inside), a quoted scalar closed on its line (simple escapes only), or a flow
 * list `[a, "b"]` of those; a comment may follow. Scalars resolve by the yaml library's core
 * schema, pattern for pattern. A test compares both libraries over generated hostile files.
 */
import { FAILSAFE_SCHEMA, load, Type } from 'js-yaml';

// The yaml library's core schema (yaml/dist/schema/core and common): the same patterns.
const coreScalars = [
  new Type('tag:yaml.org,2002:null', {
    kind: 'scalar',
    resolve: (text: string) => /^(?:~|[Nn]ull|NULL)?$/.test(text),
    construct: () => null,
  }),
  new Type('tag:yaml.org,2002:bool', {
    kind: 'scalar',
    resolve: (text: string) => /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(text),
    construct: (text: string) => text[0] === 't' || text[0] === 'T',
  }),
  new Type('tag:yaml.org,2002:int', {
    kind: 'scalar',
    resolve: (text: string) => /^(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)$/.test(text),
    construct: (text: string) =>
      text.startsWith('0o') ? parseInt(text.slice(2), 8) : text.startsWith('0x') ? parseInt(text.slice(2), 16) : parseInt(text, 10),
  }),
  new Type('tag:yaml.org,2002:float', {
    kind: 'scalar',
    resolve: (text: string) =>
      /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/.test(
        text,
      ),
    construct: (text: string) =>
      /nan$/i.test(text) ? NaN : /inf$/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : parseFloat(text),
  }),
];
const CORE_SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: coreScalars });

// One value on one line (its comment cut off first). Plain: no indicator first, no quote, tab, "#",
// ",", brackets or ": " inside, no ":" last. Quoted: closed on the line, double quotes with simple
// escapes only. Every repetition below is greedy with disjoint alternatives: linear on any line.
const PLAIN = String.raw`[^\s\-?:,\[\]{}#&*!|>'"%@\x60](?:[^\t#'":,\[\]{}]|:(?=[^\s\]},]))*`;
const SINGLE = String.raw`'(?:[^'\t]|'')*'`;
const DOUBLE = String.raw`"(?:[^"\\\t]|\\["\\/bfnrt])*"`;
const FLOW_PLAIN = String.raw`[^\s\-?:,\[\]{}#&*!|>'"%@\x60](?:[^\t#'":,\[\]{}]*[^\s#'":,\[\]{}])?`;
const FLOW_ITEM = `(?:${FLOW_PLAIN}|${SINGLE}|${DOUBLE})`;
const FLOW = String.raw`\[ *(?:${FLOW_ITEM} *(?:, *${FLOW_ITEM} *)*)?\]`;
const VALUE = `(?:${PLAIN}|${SINGLE}|${DOUBLE}|${FLOW})`;
// A word, not one the core schema reads as null or a boolean; short (the yaml library caps an implicit key at 1,024 characters).
const KEY = String.raw`(?!(?:null|Null|NULL|true|True|TRUE|false|False|FALSE):)[A-Za-z_][\w-]{0,200}`;
/**
 * A line's content without its comment: a key with or without a value, maybe after "- ", or
 * "- value". Never a value alone on its line, nor a bare "-": what follows them is where the
 * two libraries were found to differ.
 */
const PLAIN_LINE = new RegExp(String.raw`^ *(?:(?:- +)?${KEY}: *(?:${VALUE})?|- +${VALUE})$`);

/** Whether every line of `text` is of the plain shapes above. */
function isPlain(text: string): boolean {
  if (text.includes('\r') || text.includes('\t') || text.startsWith('\ufeff')) return false;
  for (const line of text.split('\n')) {
    const hash = line.indexOf('#');
    let content = line;
    if (hash !== -1) {
      // A comment starts a line or follows a space; with a quote on the line a "#" may be inside it.
      if (/['"]/.test(line) || (hash > 0 && line[hash - 1] !== ' ')) return false;
      content = line.slice(0, hash);
    }
    content = content.trimEnd();
    if (content !== '' && !PLAIN_LINE.test(content)) return false;
  }
  return true;
}

/** The document's values as the yaml library's toJS() gives them, or undefined to let it read the file. */
export function readPlainYaml(text: string): unknown {
  if (!isPlain(text)) return undefined;
  try {
    return load(text, { schema: CORE_SCHEMA, json: false });
  } catch {
    return undefined;
  }
}
