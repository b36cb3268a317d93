import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bodyEncoding, decodeBody, decodeText, isAsciiTransparent } from '../../src/feeds/decode-body.ts';
import { parseFeed } from '../../src/feeds/parse-feed.ts';

/** Raw bytes of a fixture, as a plain Uint8Array (what fetch hands us), not a Buffer. */
const bytesOf = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../fixtures/feeds/${name}`, import.meta.url)));

/** Bytes from a string of code points 0-255 (one byte each), for single-byte charsets. */
const bytes = (latin: string): Uint8Array => Uint8Array.from(latin, (c) => c.charCodeAt(0));

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

const utf16le = (text: string): Uint8Array => new Uint8Array([0xff, 0xfe, ...Buffer.from(text, 'utf16le')]);

describe('decodeBody on fixture feeds', () => {
  it.each([
    {
      behaviour: 'decodes an ISO-8859-1 declaration as windows-1252 (curly quote, ellipsis, euro)',
      file: 'enc-iso-8859-1-declared.xml',
      contentType: null,
      expected: ['L’été des promesses… et la facture à 12 €', 'Hélène Martin', 'Le Courrier de l’Ouest — Chroniques'],
    },
    {
      behaviour: 'decodes a windows-1252 declaration (curly double quotes, em dash, ñ)',
      file: 'enc-windows-1252.xml',
      contentType: 'application/rss+xml',
      expected: ['“Año nuevo, vida nueva”: ¿de verdad?', 'La señora de la limpieza — y lo que nadie ve'],
    },
    {
      behaviour: 'decodes ISO-8859-15, where 0xA4 is the euro sign and 0xBD is œ',
      file: 'enc-iso-8859-15.xml',
      contentType: null,
      expected: ['Un café à 4 € ? Non merci', 'Le cœur des villes', 'Les Œuvres complètes du ministre'],
    },
    {
      behaviour: 'reads a single-quoted windows-1251 declaration',
      file: 'enc-windows-1251.xml',
      contentType: 'text/xml',
      expected: ['Колонка редактора: цены и зарплаты', 'Ольга Смирнова', 'Еженедельник — Колонки'],
    },
    {
      behaviour: 'decodes a windows-1250 declaration (Polish and Czech letters)',
      file: 'enc-windows-1250.xml',
      contentType: null,
      expected: ['Łódź ma nowy budżet', 'Komentář: Praha a tramvaje', 'Żółta kartka dla rządu', 'Jiří Dvořák'],
    },
    {
      behaviour: 'decodes UTF-16LE with a BOM, including a surrogate pair',
      file: 'enc-utf16le-bom.xml',
      contentType: null,
      expected: ['Column 📰: why newsprint still matters', 'Naïve optimism about the über-budget'],
    },
    {
      behaviour: 'decodes UTF-16BE with a BOM',
      file: 'enc-utf16be-bom.xml',
      contentType: 'application/rss+xml',
      expected: ['Column 📰: why newsprint still matters', 'Tariffs, tête-à-tête'],
    },
    {
      behaviour: 'lets a UTF-8 BOM win over a stale ISO-8859-1 declaration and header',
      file: 'enc-utf8-bom-declares-latin1.xml',
      contentType: 'text/xml; charset=ISO-8859-1',
      expected: ['Crème brûlée economics', 'Ça suffit, les frites', 'Pâtisserie Politique'],
    },
    {
      behaviour: 'lets a UTF-16 BOM win over the Content-Type charset',
      file: 'enc-utf16le-bom.xml',
      contentType: 'text/xml; charset=windows-1252',
      expected: ['Naïve optimism about the über-budget', 'Zoë Lambert'],
    },
    {
      behaviour: 'lets the XML declaration win over a server-default utf-8 charset',
      file: 'enc-windows-1252.xml',
      contentType: 'application/rss+xml; charset=utf-8',
      expected: ['“Año nuevo, vida nueva”: ¿de verdad?', 'Carmen Ibáñez'],
    },
    {
      behaviour: 'uses the Content-Type charset when there is no XML declaration',
      file: 'enc-no-declaration-latin1.xml',
      contentType: 'application/rss+xml; charset=ISO-8859-1',
      expected: ['Señor Presidente, ¿y ahora?', 'Niños, maíz y agua', 'Tomás Ávila'],
    },
  ])('$behaviour', ({ file, contentType, expected }) => {
    const text = decodeBody(bytesOf(file), contentType);

    for (const fragment of expected) expect(text).toContain(fragment);
    expect(text).not.toContain('\uFFFD');
    expect(text.startsWith('<')).toBe(true);
  });

  it.each(['enc-utf8-bom-declares-latin1.xml', 'enc-utf16le-bom.xml', 'enc-utf16be-bom.xml'])(
    'removes the byte order mark from %s',
    (file) => {
      const text = decodeBody(bytesOf(file), null);

      expect(text.charCodeAt(0)).not.toBe(0xfeff);
      expect(text.startsWith('<?xml version="1.0"')).toBe(true);
    },
  );

  it('falls back to windows-1252 when nothing names a charset and the bytes are not UTF-8', () => {
    const text = decodeBody(bytesOf('enc-no-declaration-latin1.xml'), 'application/rss+xml');

    // 0xF1 (ñ in Latin-1) is not valid UTF-8, so the body is not UTF-8: read it as browsers do.
    expect(text).toContain('Señor Presidente');
    expect(text).not.toContain('\uFFFD');
    expect(text).toContain('<title>El Mirador</title>');
  });

  it('reads undeclared valid UTF-8 as UTF-8', () => {
    const text = decodeBody(Buffer.from('<rss><channel><title>Café “crème”</title></channel></rss>', 'utf8'), 'application/xml');

    expect(text).toContain('Café “crème”');
  });
});

describe('decodeBody on inline bytes', () => {
  it.each([
    {
      behaviour: 'reads a quoted charset parameter',
      body: bytes('<p>caf\xe9 \x93ok\x94</p>'),
      contentType: 'text/html; charset="windows-1252"',
      expected: '<p>café “ok”</p>',
    },
    {
      behaviour: 'matches the charset parameter name and value case-insensitively',
      body: bytes('<title>Prix : 3 \xa4</title>'),
      contentType: 'application/xml; Charset=ISO-8859-15',
      expected: '<title>Prix : 3 €</title>',
    },
    {
      behaviour: 'decodes an iso-8859-1 header as windows-1252, per WHATWG',
      body: bytes('<title>\x80 5 \x96 it\x92s a deal</title>'),
      contentType: 'text/xml; charset=iso-8859-1',
      expected: '<title>€ 5 – it’s a deal</title>',
    },
    {
      behaviour: 'decodes windows-1251 named by the Content-Type',
      body: bytes('<title>\xcf\xf0\xe8\xe2\xe5\xf2</title>'),
      contentType: 'application/rss+xml; charset=windows-1251',
      expected: '<title>Привет</title>',
    },
    {
      behaviour: 'decodes UTF-8 when the Content-Type is missing',
      body: utf8('<title>Zoë — “ok”</title>'),
      contentType: null,
      expected: '<title>Zoë — “ok”</title>',
    },
    {
      behaviour: 'falls back to UTF-8 on an unknown Content-Type charset label',
      body: utf8('<title>Qapla’ — über</title>'),
      contentType: 'text/xml; charset=x-klingon-8',
      expected: '<title>Qapla’ — über</title>',
    },
    {
      behaviour: 'falls back to UTF-8 on an unknown declared encoding',
      body: utf8('<?xml version="1.0" encoding="x-bogus-8"?><rss><title>Zoë</title></rss>'),
      contentType: null,
      expected: '<?xml version="1.0" encoding="x-bogus-8"?><rss><title>Zoë</title></rss>',
    },
    {
      behaviour: 'reads the declaration when the header has no charset',
      body: bytes('<?xml version="1.0" encoding="ISO-8859-15"?><title>\xa4</title>'),
      contentType: 'application/xml',
      expected: '<?xml version="1.0" encoding="ISO-8859-15"?><title>€</title>',
    },
    {
      behaviour: 'lets a UTF-16LE BOM win over a lying declaration',
      body: utf16le('<?xml version="1.0" encoding="ISO-8859-1"?><rss/>'),
      contentType: null,
      expected: '<?xml version="1.0" encoding="ISO-8859-1"?><rss/>',
    },
    {
      behaviour: 'strips a UTF-8 BOM from a JSON Feed body',
      body: new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('{"version":"https://jsonfeed.org/version/1.1","title":"Zoë"}')]),
      contentType: 'application/feed+json',
      expected: '{"version":"https://jsonfeed.org/version/1.1","title":"Zoë"}',
    },
    {
      behaviour: 'reads valid UTF-8 as UTF-8 under a server-default ISO-8859-1 charset (no declared encoding)',
      body: utf8('<?xml version="1.0"?><title>Café “quotes” — naïve</title>'),
      contentType: 'text/xml; charset=ISO-8859-1',
      expected: '<?xml version="1.0"?><title>Café “quotes” — naïve</title>',
    },
    {
      behaviour: 'reads valid UTF-8 as UTF-8 under a stale ISO-8859-1 declaration',
      body: utf8('<?xml version="1.0" encoding="ISO-8859-1"?><title>Zoë</title>'),
      contentType: null,
      expected: '<?xml version="1.0" encoding="ISO-8859-1"?><title>Zoë</title>',
    },
    {
      behaviour: 'reads a UTF-8 JSON Feed as UTF-8 whatever charset the header names (RFC 8259 §8.1)',
      body: utf8('{"title":"Café “json”"}'),
      contentType: 'application/feed+json; charset=iso-8859-1',
      expected: '{"title":"Café “json”"}',
    },
    {
      behaviour: 'reads windows-1251 bytes declared UTF-8 in the charset the Content-Type names',
      body: bytes('<?xml version="1.0" encoding="UTF-8"?><title>\xcf\xf0\xe8\xe2\xe5\xf2</title>'),
      contentType: 'text/xml; charset=windows-1251',
      expected: '<?xml version="1.0" encoding="UTF-8"?><title>Привет</title>',
    },
    {
      behaviour: 'reads Latin-1 bytes declared UTF-8 as windows-1252, not as U+FFFD',
      body: bytes('<?xml version="1.0" encoding="UTF-8"?><title>Caf\xe9 cr\xe8me \x93ok\x94</title>'),
      contentType: 'application/rss+xml',
      expected: '<?xml version="1.0" encoding="UTF-8"?><title>Café crème “ok”</title>',
    },
    {
      behaviour: 'keeps the UTF-8 of a document with one stray Latin-1 byte, reading that byte as windows-1252',
      body: new Uint8Array([...utf8('<title>Naïve “smart” — </title><title>caf'), 0xe9, ...utf8(' ✓</title>')]),
      contentType: null,
      expected: '<title>Naïve “smart” — </title><title>café ✓</title>',
    },
    {
      behaviour: 'keeps the UTF-8 of a declared UTF-8 document with stray bytes, whatever the header says',
      body: new Uint8Array([
        ...utf8('<?xml version="1.0" encoding="utf-8"?><t>Zoë “a” — naïve — café </t><t>'),
        0x93,
        0x78,
        0x94,
        0xe2,
        0x82,
        ...utf8('</t>'),
      ]),
      contentType: 'text/xml; charset=windows-1251',
      expected: '<?xml version="1.0" encoding="utf-8"?><t>Zoë “a” — naïve — café </t><t>“x”â‚</t>',
    },
    {
      behaviour: 'reads an 8-bit body the Content-Type calls UTF-16 as UTF-8',
      body: utf8('<?xml version="1.0"?><rss><title>Zoë</title></rss>'),
      contentType: 'text/xml; charset=utf-16',
      expected: '<?xml version="1.0"?><rss><title>Zoë</title></rss>',
    },
    {
      behaviour: 'reads an ASCII body the Content-Type calls UTF-16 as ASCII, not as pairs of bytes',
      body: utf8('<rss><title>Plain</title></rss>'),
      contentType: 'application/rss+xml; charset=UTF-16',
      expected: '<rss><title>Plain</title></rss>',
    },
    {
      behaviour: 'decodes an empty body to an empty string',
      body: new Uint8Array(0),
      contentType: 'application/rss+xml; charset=utf-8',
      expected: '',
    },
  ])('$behaviour', ({ body, contentType, expected }) => {
    expect(decodeBody(body, contentType)).toBe(expected);
  });
});

describe('decoded bodies parse into the right text', () => {
  it.each([
    { file: 'enc-iso-8859-1-declared.xml', contentType: null, title: 'L’été des promesses… et la facture à 12 €', author: 'Hélène Martin' },
    { file: 'enc-windows-1252.xml', contentType: null, title: '“Año nuevo, vida nueva”: ¿de verdad?', author: 'Carmen Ibáñez' },
    { file: 'enc-iso-8859-15.xml', contentType: null, title: 'Un café à 4 € ? Non merci', author: 'Anne Roux' },
    { file: 'enc-windows-1251.xml', contentType: null, title: 'Почему мы перестали читать газеты', author: 'Игорь Петров' },
    { file: 'enc-windows-1250.xml', contentType: null, title: 'Komentář: Praha a tramvaje', author: 'Jiří Dvořák' },
    { file: 'enc-utf16le-bom.xml', contentType: null, title: 'Column 📰: why newsprint still matters', author: 'Zoë Lambert' },
    { file: 'enc-utf16be-bom.xml', contentType: null, title: 'Column 📰: why newsprint still matters', author: 'Zoë Lambert' },
    { file: 'enc-utf8-bom-declares-latin1.xml', contentType: null, title: 'Le gâteau de la coalition', author: 'Léa Claes' },
    {
      file: 'enc-no-declaration-latin1.xml',
      contentType: 'text/xml; charset=iso-8859-1',
      title: 'La mañana después',
      author: 'Tomás Ávila',
    },
  ])('parses $file decoded with $contentType into "$title"', async ({ file, contentType, title, author }) => {
    const parsed = await parseFeed(decodeBody(bytesOf(file), contentType), null);

    expect(parsed.format).toBe('rss');
    expect(parsed.items).toHaveLength(3);
    const item = parsed.items[1];
    expect(item?.title).toBe(title);
    expect(item?.author).toBe(author);
  });
});

describe('which bodies can be cut at their markup before decoding', () => {
  it('says so for valid UTF-8 and single-byte encodings, and not for invalid UTF-8, UTF-16 or multi-byte encodings', () => {
    const transparent = (body: Uint8Array, contentType: string | null = null) => {
      const { encoding, bomLength } = bodyEncoding(body, contentType);
      return isAsciiTransparent(encoding, body.subarray(bomLength));
    };
    expect(transparent(utf8('<rss><channel><title>L’été ✓</title></channel></rss>'))).toBe(true);
    expect(transparent(utf8('\uFEFF<rss/>'))).toBe(true);
    expect(transparent(bytes('<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>\xe9t\xe9</title></rss>'))).toBe(true);
    expect(transparent(bytes('<?xml version="1.0" encoding="koi8-r"?><rss/>'))).toBe(true);
    // Undeclared and not UTF-8: read as windows-1252, one byte a character.
    expect(bodyEncoding(bytes('<rss><title>\xe9t\xe9</title></rss>'), null).encoding).toBe('windows-1252');
    expect(transparent(bytes('<rss><title>\xe9t\xe9</title></rss>'))).toBe(true);
    // Declared UTF-8 but holding no UTF-8 at all: windows-1252, one byte a character.
    expect(transparent(bytes('<?xml version="1.0" encoding="utf-8"?><rss><title>\xe2\x82</title></rss>'))).toBe(true);
    // UTF-8 with a stray byte is read sequence by sequence, and whole.
    expect(transparent(bytes('<?xml version="1.0" encoding="utf-8"?><rss><title>\xc3\xa9t\xc3\xa9 \xc3\xa0 \xe2\x82</title></rss>'))).toBe(
      false,
    );
    expect(transparent(utf16le('<rss/>'))).toBe(false);
    // Shift_JIS trail bytes include ASCII letters and `]`.
    expect(transparent(bytes('<?xml version="1.0" encoding="Shift_JIS"?><rss/>'))).toBe(false);
    expect(transparent(bytes('<?xml version="1.0" encoding="gb18030"?><rss/>'))).toBe(false);
  });

  it('decodes the start of a body as the start of the whole', () => {
    const text = `<rss><channel><title>${'L’été ✓ 📰 '.repeat(3000)}</title></channel></rss>`;
    const body = utf8(text);
    const head = decodeText('utf-8', body.subarray(0, 4096 * 4 + 4));
    expect(head.slice(0, 4096)).toBe(decodeBody(body, null).slice(0, 4096));
  });
});
