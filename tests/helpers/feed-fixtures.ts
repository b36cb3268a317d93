/** Reading the hand-written fixture feeds in tests/fixtures/feeds, and printable views of parsed items. */
import { readFileSync } from 'node:fs';
import type { ParsedItem } from '../../src/model.ts';

/** A fixture feed's text (UTF-8). */
export const loadFixture = (name: string): string => readFileSync(new URL(`../fixtures/feeds/${name}`, import.meta.url), 'utf8');

/** A fixture feed's raw bytes. */
export const loadFixtureBytes = (name: string): Buffer => readFileSync(new URL(`../fixtures/feeds/${name}`, import.meta.url));

/** Dates as ISO strings, so a failing comparison prints readably. */
export const viewItem = (item: ParsedItem) => ({
  ...item,
  published: item.published === null ? null : item.published.toISOString(),
  updated: item.updated === null ? null : item.updated.toISOString(),
});
