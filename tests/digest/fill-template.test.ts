import { describe, expect, it } from 'vitest';
import { fillTemplate } from '../../src/digest/fill-template.ts';
import { escapeHtml } from '../../src/html-text.ts';

const html = (template: string, values: Record<string, unknown>) => fillTemplate(template, values, escapeHtml);
const text = (template: string, values: Record<string, unknown>) => fillTemplate(template, values, (value) => value);

describe('fillTemplate', () => {
  it.each([
    [
      'escapes {{name}} in HTML mode',
      '<p>{{title}}</p>',
      { title: `<script>"x" & 'y'</script>` },
      '<p>&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;</p>',
    ],
    ['leaves {{{name}}} raw', '<p>{{{body}}}</p>', { body: '<b>bold</b> & more' }, '<p><b>bold</b> & more</p>'],
    ['allows spaces inside tags', '{{ title }}|{{{ body }}}', { title: 'a&b', body: 'a&b' }, 'a&amp;b|a&b'],
    [
      'renders numbers, and nothing for missing, null or false',
      '[{{n}}][{{missing}}][{{nothing}}][{{no}}]',
      { n: 0, nothing: null, no: false },
      '[0][][][]',
    ],
    [
      'reads dotted names',
      '{{more.count}} more, first {{more.first.title}}',
      { more: { count: 3, first: { title: 'A & B' } } },
      '3 more, first A &amp; B',
    ],
    ['renders nothing for a dotted name through a missing object', '[{{more.count}}]', { more: null }, '[]'],
  ])('%s', (_case, template, values, expected) => {
    expect(html(template, values)).toBe(expected);
  });

  it.each([
    [
      'repeats a section for each element of a list',
      '{{#items}}<li>{{title}}</li>{{/items}}',
      { items: [{ title: 'a' }, { title: 'b<' }] },
      '<li>a</li><li>b&lt;</li>',
    ],
    ['shows a section once for an object, whose fields it sees', '{{#more}}{{count}} more{{/more}}', { more: { count: 2 } }, '2 more'],
    ['shows a section once for true', '{{#flag}}on{{/flag}}', { flag: true }, 'on'],
    ['shows a section once for a non-empty string', '{{#excerpt}}[{{excerpt}}]{{/excerpt}}', { excerpt: 'words' }, '[words]'],
    [
      'hides a section for false, null, missing, an empty string or an empty list',
      '{{#a}}A{{/a}}{{#b}}B{{/b}}{{#c}}C{{/c}}{{#d}}D{{/d}}{{#e}}E{{/e}}',
      { a: false, b: null, d: '', e: [] },
      '',
    ],
    [
      'shows an inverted section for an empty list, false or missing',
      '{{^a}}A{{/a}}{{^b}}B{{/b}}{{^c}}C{{/c}}',
      { a: [], b: false },
      'ABC',
    ],
    ['hides an inverted section for a non-empty list or true', '{{^a}}A{{/a}}{{^b}}B{{/b}}', { a: [1], b: true }, ''],
    [
      'sees outer names inside a section',
      '{{#groups}}{{name}} of {{title}};{{/groups}}',
      { title: 'T', groups: [{ name: 'g1' }, { name: 'g2' }] },
      'g1 of T;g2 of T;',
    ],
    [
      'lets inner names hide outer ones',
      '{{name}}:{{#inner}}{{name}}{{/inner}}',
      { name: 'outer', inner: { name: 'inner' } },
      'outer:inner',
    ],
    ['nests sections of the same name', '{{#a}}({{#a}}x{{/a}}){{/a}}', { a: true }, '(x)'],
    [
      'iterates a dotted list',
      '{{#more.stories}}{{title}},{{/more.stories}}',
      { more: { stories: [{ title: 'a' }, { title: 'b' }] } },
      'a,b,',
    ],
  ])('%s', (_case, template, values, expected) => {
    expect(html(template, values)).toBe(expected);
  });

  it('drops the lines of section tags that stand alone, as Mustache does', () => {
    const template = 'Title\n{{#items}}\n- {{name}}\n{{/items}}\n{{^items}}\n  none\n{{/items}}\nEnd\n';
    expect(text(template, { items: [{ name: 'a' }, { name: 'b' }] })).toBe('Title\n- a\n- b\nEnd\n');
    expect(text(template, { items: [] })).toBe('Title\n  none\nEnd\n');
  });

  it('does not escape in text mode', () => {
    expect(text('{{title}}', { title: '<b>A & B</b>' })).toBe('<b>A & B</b>');
  });

  it.each([
    ['an unclosed section', '{{#items}}<li>{{title}}</li>', 'template: {{#items}} is never closed with {{/items}}'],
    ['an unclosed inverted section', '{{^items}}none', 'template: {{#items}} is never closed with {{/items}}'],
    ['a section closed with another name', '{{#a}}x{{/b}}', 'template: {{#a}} is never closed with {{/a}}'],
    ['a stray close tag', 'x{{/items}}', 'template: unexpected {{/items}}'],
  ])('throws on %s', (_case, template, message) => {
    expect(() => html(template, { items: [] })).toThrow(message);
  });

  it.each([
    [
      'an object',
      '{{more}}',
      { more: { count: 2 } },
      'template: {{more}} has fields, so it cannot be printed; print one of them, like {{more.count}}, or open it as a section: {{#more}}…{{/more}}',
    ],
    [
      'a list',
      '{{{groups}}}',
      { groups: [{ name: 'a' }] },
      'template: {{groups}} is a list, so it cannot be printed; repeat a section over it: {{#groups}}…{{/groups}}',
    ],
  ])('refuses to print %s instead of sending "[object Object]"', (_case, template, values, message) => {
    expect(() => html(template, values)).toThrow(message);
  });
});
