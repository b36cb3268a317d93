/**
 * A small Mustache subset for the digest templates, so users can restyle them without code:
 * `{{name}}` (escaped in HTML mode), `{{{name}}}` (raw), `{{#name}}…{{/name}}` (repeated for
 * each element of a list, or shown once for any other truthy value, whose fields it sees),
 * `{{^name}}…{{/name}}` (shown when empty or false), and dotted names (`{{more.count}}`).
 */

type Context = Record<string, unknown>;

const TAG = /\{\{\{\s*([\w.]+|\.)\s*\}\}\}|\{\{\s*([#^/]?)\s*([\w.]+|\.)\s*\}\}/g;

// As in Mustache, a section tag alone on its line takes the whole line with it.
const STANDALONE_SECTION_TAG = /^[ \t]*(\{\{\s*[#^/][^}]*\}\})[ \t]*\r?\n/gm;

/** Fills `template` with `values`; `escape` is applied to `{{name}}` values (identity for text). */
export function fillTemplate(template: string, values: Context, escape: (text: string) => string): string {
  return render(template.replace(STANDALONE_SECTION_TAG, '$1'), [values], escape);
}

function render(template: string, stack: Context[], escape: (text: string) => string): string {
  let out = '';
  let at = 0;
  TAG.lastIndex = 0;
  for (let match = TAG.exec(template); match; match = TAG.exec(template)) {
    out += template.slice(at, match.index);
    at = TAG.lastIndex;
    const [, raw, sigil, name] = match;
    if (raw) {
      out += stringify(lookup(stack, raw), raw);
      continue;
    }
    if (sigil === '#' || sigil === '^') {
      const end = findClose(template, name!, at);
      const inner = template.slice(at, end.start);
      const value = lookup(stack, name!);
      const empty = !value || (Array.isArray(value) && value.length === 0);
      if (sigil === '^') out += empty ? render(inner, stack, escape) : '';
      else if (Array.isArray(value)) out += value.map((item) => render(inner, [...stack, asContext(item)], escape)).join('');
      else if (!empty) out += render(inner, [...stack, asContext(value)], escape);
      at = end.after;
      TAG.lastIndex = at;
      continue;
    }
    if (sigil === '/') throw new Error(`template: unexpected {{/${name}}}`);
    out += escape(stringify(lookup(stack, name!), name!));
  }
  return out + template.slice(at);
}

/** The matching close tag of a section opened just before `from`, honouring nesting. */
function findClose(template: string, name: string, from: number): { start: number; after: number } {
  const tags = new RegExp(`\\{\\{\\s*([#^/])\\s*${name.replace(/\./g, '\\.')}\\s*\\}\\}`, 'g');
  tags.lastIndex = from;
  let depth = 1;
  for (let match = tags.exec(template); match; match = tags.exec(template)) {
    depth += match[1] === '/' ? -1 : 1;
    if (depth === 0) return { start: match.index, after: tags.lastIndex };
  }
  throw new Error(`template: {{#${name}}} is never closed with {{/${name}}}`);
}

function lookup(stack: Context[], name: string): unknown {
  if (name === '.') return stack[stack.length - 1]!['.'];
  const [head, ...rest] = name.split('.');
  for (let index = stack.length - 1; index >= 0; index--) {
    const context = stack[index]!;
    if (head! in context)
      return rest.reduce<unknown>(
        (value, key) => (value && typeof value === 'object' ? (value as Context)[key] : undefined),
        context[head!],
      );
  }
  return undefined;
}

function asContext(value: unknown): Context {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Context) : { '.': value };
}

// An object or a list printed as text would reach every reader as "[object Object]": a template
// mistake, so the render fails (as `digest --preview` shows) saying what to write instead.
function stringify(value: unknown, name: string): string {
  if (value === undefined || value === null || value === false) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value))
    throw new Error(`template: {{${name}}} is a list, so it cannot be printed; repeat a section over it: {{#${name}}}…{{/${name}}}`);
  const field = value && typeof value === 'object' ? (Object.keys(value)[0] ?? 'field') : 'field';
  throw new Error(
    `template: {{${name}}} has fields, so it cannot be printed; print one of them, like {{${name}.${field}}}, or open it as a section: {{#${name}}}…{{/${name}}}`,
  );
}
