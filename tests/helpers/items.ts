/** Builders of parsed items for storage tests. */
import type { ParsedItem } from '../../src/model.ts';

/** A parsed item with sensible defaults; override what the test is about. */
export function item(overrides: Partial<ParsedItem> & { id: string }): ParsedItem {
  return {
    title: `Column ${overrides.id} about the budget`,
    link: `https://news.example.com/opinion/${overrides.id}`,
    author: 'Jane Doe',
    published: new Date('2026-11-20T08:00:00Z'),
    updated: null,
    summary: `<p>Summary of ${overrides.id}</p>`,
    content: null,
    categories: ['politics'],
    ...overrides,
  };
}
