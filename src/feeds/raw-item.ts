/** The common shape each format reader fills before ids and fallbacks are settled. */
export interface RawItem {
  guid: string | null;
  title: string | null;
  link: string | null;
  authors: string[];
  published: Date | null;
  updated: Date | null;
  summary: string | null;
  content: string | null;
  categories: Array<string | null>;
}
