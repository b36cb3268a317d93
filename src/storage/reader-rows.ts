/** Rows of the signups, subscribers' preferences and bounces tables, as both backends read them. Pure. */
import type { Bounce, Preferences, ReaderChoices, Signup } from './store.ts';

export interface SignupRow {
  digest_id: string;
  address: string;
  name: string | null;
  choices: string;
  requested_at: number;
}

export interface PreferencesRow {
  digest_id: string;
  address: string;
  name: string | null;
  choices: string;
  paused: number;
}

export interface BounceRow {
  address: string;
  failures: number;
  last_error: string;
  last_at: number;
  bouncing_since: number | null;
  /** Bounce reports (DSNs) counted for the address. */
  reported: number;
}

/** Choices as stored (JSON), read defensively: anything unexpected is no choice. */
export function readChoices(json: string): ReaderChoices {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    value = {};
  }
  const list = (key: string): string[] => {
    const entry = (value as Record<string, unknown> | null)?.[key];
    return Array.isArray(entry) ? entry.filter((item): item is string => typeof item === 'string') : [];
  };
  return { columnists: list('columnists'), outlets: list('outlets'), tags: list('tags') };
}

/**
 * The parameters of both backends' signup upsert, in its order: digest, address (lower-cased),
 * name, choices, requested at, and the time before which a signup kept already is replaced
 * (none given: any).
 */
export function signupParams(signup: Signup, replaceBefore?: Date): [string, string, string | null, string, number, number] {
  return [
    signup.digestId,
    signup.address.toLowerCase(),
    signup.name,
    writeChoices(signup.choices),
    signup.requestedAt.getTime(),
    replaceBefore?.getTime() ?? Number.MAX_SAFE_INTEGER,
  ];
}

/** Choices as stored: sorted, each once, so equal choices are equal text. */
export function writeChoices(choices: ReaderChoices): string {
  const tidy = (values: readonly string[]) => [...new Set(values)].sort();
  return JSON.stringify({ columnists: tidy(choices.columnists), outlets: tidy(choices.outlets), tags: tidy(choices.tags) });
}

/** True when nothing is chosen (the reader gets everything). */
export function choosesAll(choices: ReaderChoices): boolean {
  return choices.columnists.length + choices.outlets.length + choices.tags.length === 0;
}

export const toSignup = (row: SignupRow): Signup => ({
  digestId: row.digest_id,
  address: row.address,
  name: row.name,
  choices: readChoices(row.choices),
  requestedAt: new Date(Number(row.requested_at)),
});

export const toPreferences = (row: PreferencesRow): Preferences => ({
  digestId: row.digest_id,
  address: row.address,
  name: row.name,
  choices: readChoices(row.choices),
  paused: Number(row.paused) === 1,
});

export const toBounce = (row: BounceRow): Bounce => ({
  address: row.address,
  // The count that decides: refusals in a row at send time, or bounce reports.
  failures: Math.max(Number(row.failures), Number(row.reported)),
  lastError: row.last_error,
  lastAt: new Date(Number(row.last_at)),
  bouncingSince: row.bouncing_since === null ? null : new Date(Number(row.bouncing_since)),
});
