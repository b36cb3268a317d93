/**
 * Reads the Dockerfile into stages of instructions, the way the builder sees them: comments
 * dropped, `\` continuations joined, global ARG defaults substituted into FROM. Only what this
 * project's Dockerfile uses; anything else is an error, so a new construct is noticed here.
 */

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  index: number;
  name: string | null;
  image: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** Parses Dockerfile text into its stages. */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name, ...rest] = substitute(instruction.args, globalArgs).split(/\s+/);
      if (!image || image.startsWith('--') || rest.length > 0 || (as !== undefined && (as.toUpperCase() !== 'AS' || !name))) {
        throw new Error(`Dockerfile:${instruction.line}: unsupported FROM "${instruction.args}"`);
      }
      stages.push({ index: stages.length, name: name ?? null, image, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`Dockerfile:${instruction.line}: ${instruction.keyword} before the first FROM`);
      const [key, value = ''] = splitOnce(instruction.args, '=');
      globalArgs[key] = unquote(value);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** The logical instructions, with their first line number. */
export function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | null = null;
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '');
    if (/^\s*#/.test(line)) continue; // comments (and parser directives), also inside continuations
    if (pending === null && line.trim() === '') continue;
    const continued = /\\\s*$/.test(line);
    const body = continued ? line.replace(/\\\s*$/, '') : line;
    pending = pending ? { text: `${pending.text} ${body.trim()}`, line: pending.line } : { text: body.trim(), line: index + 1 };
    if (!continued) {
      const [keyword, args = ''] = splitOnce(pending.text, ' ');
      instructions.push({ keyword: keyword.toUpperCase(), args: args.trim(), line: pending.line });
      pending = null;
    }
  }
  if (pending) throw new Error('Dockerfile: ends inside a continued line');
  return instructions;
}

/** The JSON-array ("exec") form of CMD, HEALTHCHECK CMD, VOLUME…, or null for the shell form. */
export function parseExecForm(args: string): string[] | null {
  if (!args.trim().startsWith('[')) return null;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) throw new Error(`Dockerfile: bad exec form ${args}`);
  return parsed;
}

/** Leading `--name=value` flags (COPY --from, HEALTHCHECK --interval) and the rest. */
export function splitFlags(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args.trim();
  for (let match = /^--([\w-]+)=(\S+)\s*/.exec(rest); match; match = /^--([\w-]+)=(\S+)\s*/.exec(rest)) {
    flags[match[1]!] = match[2]!;
    rest = rest.slice(match[0].length);
  }
  return { flags, rest };
}

/** `ENV A=1 B="two words"` (or the legacy `ENV A value`) as a record. */
export function parseKeyValues(args: string): Record<string, string> {
  const tokens = args.match(/(?:[^\s"]+|"(?:[^"\\]|\\.)*")+/g) ?? [];
  if (tokens.length > 0 && !tokens[0]!.includes('=')) return { [tokens[0]!]: unquote(args.slice(tokens[0]!.length).trim()) };
  const values: Record<string, string> = {};
  for (const token of tokens) {
    const [key, value = ''] = splitOnce(token, '=');
    values[key] = unquote(value);
  }
  return values;
}

/** A duration such as `30s`, `1m30s` or `500ms`, in milliseconds. */
export function parseDurationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) throw new Error(`Dockerfile: bad duration "${text}"`);
  return parts.reduce((sum, part) => sum + Number(part[1]) * units[part[2]!]!, 0);
}

/** `${NAME}` and `$NAME` replaced from the given values. */
export function substitute(text: string, values: Record<string, string>): string {
  return text.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, braced: string | undefined, bare: string | undefined) => values[(braced ?? bare)!] ?? whole,
  );
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + separator.length)];
}

function unquote(value: string): string {
  return /^".*"$/.test(value) ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}
