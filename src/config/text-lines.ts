/** Line arithmetic over a text and offsets into it, for editing a file one line range at a time. Pure. */

/** Offset of the start of the line holding `offset`. */
export function lineStart(text: string, offset: number): number {
  return offset <= 0 ? 0 : text.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset just past the newline ending the line holding `offset` (the text's length on the last line). */
export function nextLineStart(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}

/** Start of the line before the one starting at `start`, or null on the first line. */
export function previousLineStart(text: string, start: number): number | null {
  return start === 0 ? null : lineStart(text, start - 1);
}

/** The line starting at `start`, with its newline. */
export function lineFrom(text: string, start: number): string {
  return text.slice(start, nextLineStart(text, start));
}

/** Rounds an offset up to the next line start, unless it already is one. */
export function toLineEnd(text: string, offset: number): number {
  return offset === 0 || text[offset - 1] === '\n' ? offset : nextLineStart(text, offset);
}

/** True for a line with nothing but whitespace. */
export function isBlankLine(line: string): boolean {
  return line.trim() === '';
}

/** True for a line holding only a comment. */
export function isCommentLine(line: string): boolean {
  return line.trimStart().startsWith('#');
}

/** Leading spaces of a line. */
export function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** The newline the text uses ("\r\n" when it has any), so inserted lines match the rest. */
export function newlineOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** Replaces `[start, end)` of `text` with `replacement`. */
export function splice(text: string, start: number, end: number, replacement: string): string {
  return text.slice(0, start) + replacement + text.slice(end);
}
