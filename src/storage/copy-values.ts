/**
 * SQLite text values made fit for PostgreSQL, whose text type cannot hold U+0000 (NUL): SQLite
 * stores one as given, and any visitor can post one in a sign-up name. Free text (names, titles,
 * errors) loses its NULs, which carry nothing a reader sees. A key column (part of the row's
 * primary key, such as an address) gets U+FFFD for each NUL instead: dropping them could make
 * "x\0y@example.com" the key of another row ("xy@example.com"); the replacement keeps the row
 * apart from every other.
 */

/** U+FFFD REPLACEMENT CHARACTER: "a character that could not be represented" (Unicode §23.8). */
const REPLACEMENT = '\uFFFD';

/** One value changed on its way to PostgreSQL. */
export interface NulChange {
  column: string;
  /** How many NUL characters the value held. */
  count: number;
  action: 'dropped' | 'replaced';
}

/**
 * `row` with its text values that hold NUL characters changed by the rule above (U+FFFD in
 * `keyColumns`, nothing elsewhere), and what changed: the same row and no changes for most.
 */
export function normalizeNuls<Row extends Record<string, unknown>>(
  row: Row,
  keyColumns: readonly string[],
): { row: Row; changes: NulChange[] } {
  const changes: NulChange[] = [];
  let cleaned: Row = row;
  for (const [column, value] of Object.entries(row)) {
    if (typeof value !== 'string' || !value.includes('\0')) continue;
    const parts = value.split('\0');
    const key = keyColumns.includes(column);
    cleaned = { ...cleaned, [column]: parts.join(key ? REPLACEMENT : '') };
    changes.push({ column, count: parts.length - 1, action: key ? 'replaced' : 'dropped' });
  }
  return { row: cleaned, changes };
}

/** A row named by its key, for messages: `signups (digest_id "daily", address "x@example.com")`; control characters escaped. */
export function describeRow(table: string, row: Record<string, unknown>, keyColumns: readonly string[]): string {
  return `${table} (${keyColumns.map((column) => `${column} ${JSON.stringify(row[column] ?? null)}`).join(', ')})`;
}
