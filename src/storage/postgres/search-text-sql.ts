/**
 * The text PostgreSQL's search index reads from a story, made in SQL by the trigger that keeps
 * story_search, as near as SQL allows to what SQLite's index reads (search-text.ts: htmlToText,
 * then FTS5's unicode61 word rule): NFC, scripts and styles dropped with their text, tags read
 * as spaces, entities decoded, ASCII punctuation read as a space. Used by migration 22; a
 * shipped migration never changes, so neither does this text once released.
 *
 * Every step is linear in the text: no pattern with a back-reference (PostgreSQL's engine
 * backtracks on those), entity decoding bounded, the excerpt cut before it is read.
 */

/** Characters of markup read per story: SQLite reads the whole excerpt, then keeps 4,000 characters of its text. */
const BODY_MARKUP_CHARS = 32_000;
/** Distinct entities decoded per story; any beyond are left as written. */
const DISTINCT_ENTITIES = 200;
/** Elements whose text no reader sees (html-text.ts drops the same). */
const DROPPED_ELEMENTS = ['script', 'style', 'noscript', 'template', 'iframe'];

/** The named entities of the Latin-1 letters (é is `&eacute;`), which feeds write most: each decoded. */
const LETTER_ENTITIES = latin1Letters();
/** Named entities of spaces and punctuation feeds write: a separator, as what they stand for is. */
const SEPARATOR_ENTITIES = [
  'nbsp', 'ensp', 'emsp', 'thinsp', 'shy', 'zwj', 'zwnj', 'amp', 'lt', 'gt', 'quot', 'apos', 'mdash', 'ndash', 'hellip',
  'lsquo', 'rsquo', 'sbquo', 'ldquo', 'rdquo', 'bdquo', 'laquo', 'raquo', 'lsaquo', 'rsaquo', 'bull', 'middot', 'times',
  'divide', 'copy', 'reg', 'trade', 'deg', 'sect', 'para', 'dagger', 'Dagger', 'iexcl', 'iquest', 'prime', 'Prime',
]; // prettier-ignore

function latin1Letters(): Array<readonly [string, string]> {
  const upper = [
    'Agrave', 'Aacute', 'Acirc', 'Atilde', 'Auml', 'Aring', 'AElig', 'Ccedil', 'Egrave', 'Eacute', 'Ecirc', 'Euml',
    'Igrave', 'Iacute', 'Icirc', 'Iuml', 'ETH', 'Ntilde', 'Ograve', 'Oacute', 'Ocirc', 'Otilde', 'Ouml', '',
    'Oslash', 'Ugrave', 'Uacute', 'Ucirc', 'Uuml', 'Yacute', 'THORN', 'szlig',
  ]; // prettier-ignore
  const lower = upper.map((name) => (name === 'szlig' ? 'yuml' : name === 'AElig' ? 'aelig' : name.toLowerCase()));
  const pairs = (names: string[], first: number) =>
    names.flatMap((name, index) => (name === '' ? [] : [[name, String.fromCodePoint(first + index)] as const]));
  return [...pairs(upper, 0xc0), ...pairs(lower, 0xe0)];
}

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** A character of a numeric entity kept as itself: an ASCII letter or digit, or past Latin-1's controls in a UTF8 database; else a space. */
const NUMERIC_KEPT = `cp BETWEEN 48 AND 57 OR cp BETWEEN 65 AND 90 OR cp BETWEEN 97 AND 122
            OR (unicode AND cp BETWEEN 160 AND 1114111 AND cp NOT BETWEEN 55296 AND 57343)`;
/** ASCII punctuation, each a word separator for FTS5's unicode61 (and the reader's query): `[!-/:-@[-\`{-~]`. */
const PUNCTUATION_RUN = "'[!-/:-@[-`{-~]+'";

/**
 * The SQL functions migration 22 creates: columnwire_line_vector (a title or author, short:
 * every ASCII punctuation read as a space) and columnwire_body_vector (an excerpt).
 */
export const SEARCH_TEXT_FUNCTIONS = `
    CREATE FUNCTION columnwire_search_words(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
    BEGIN
      -- ASCII is NFC already; normalize() exists in UTF8 databases only.
      IF current_setting('server_encoding') = 'UTF8' AND t ~ '[^\\x01-\\x7f]' THEN t := normalize(t, NFC); END IF;
      RETURN columnwire_space_cjk(t);
    END $fn$;

    CREATE FUNCTION columnwire_line_vector(t text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
      SELECT to_tsvector('simple'::regconfig, columnwire_search_words(regexp_replace(coalesce(t, ''), ${PUNCTUATION_RUN}, ' ', 'g')))
    $fn$;

    -- Entities as text, each distinct one replaced once (${DISTINCT_ENTITIES} at most): the Latin-1 letters by
    -- name, letters and digits by number; spaces and punctuation (the XML five, typographic ones)
    -- read as a space, a separator either way; another name read as a word.
    CREATE FUNCTION columnwire_decode_entities(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
    DECLARE
      m text[];
      entity text;
      cp integer;
      unicode boolean := current_setting('server_encoding') = 'UTF8';
    BEGIN
      -- Each turn replaces every occurrence of the first entity left (a plain expression each,
      -- no query: this runs for every excerpt holding an ampersand).
      FOR turn IN 1..${DISTINCT_ENTITIES} LOOP
        m := regexp_match(t, '&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});');
        EXIT WHEN m IS NULL;
        entity := m[1];
        IF left(entity, 1) = '#' THEN
          cp := CASE WHEN entity ~ '^#[xX]' THEN ('x' || lpad(substr(entity, 3), 8, '0'))::bit(32)::integer ELSE substr(entity, 2)::integer END;
          t := replace(t, '&' || entity || ';', CASE WHEN ${NUMERIC_KEPT} THEN chr(cp) ELSE ' ' END);
        ELSIF entity = ANY(ARRAY[${SEPARATOR_ENTITIES.map(literal).join(', ')}]) THEN
          t := replace(t, '&' || entity || ';', ' ');
        ELSE
          t := replace(t, '&' || entity || ';', CASE entity
            ${LETTER_ENTITIES.map(([name, text]) => `WHEN '${name}' THEN ${literal(text)}`).join('\n            ')}
            -- Another name (\`AT&T;\`, or an HTML name not listed here): a word, as SQLite reads one no reader decodes.
            ELSE ' ' || entity || ' ' END);
        END IF;
      END LOOP;
      RETURN t;
    END $fn$;

    CREATE FUNCTION columnwire_body_vector(html text) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
    DECLARE
      t text := left(coalesce(html, ''), ${BODY_MARKUP_CHARS});
      element text;
      v tsvector;
    BEGIN
      IF strpos(t, '<') > 0 THEN
        IF t ~* '<(${DROPPED_ELEMENTS.join('|')})\\M' THEN
          FOREACH element IN ARRAY ARRAY[${DROPPED_ELEMENTS.map(literal).join(', ')}] LOOP
            -- Shortest match (the leading {1,1}? makes the whole pattern non-greedy): each element
            -- to its own closing tag. Without one, it stays, as in html-text.ts.
            IF t ~* ('<' || element || '\\M') THEN
              t := regexp_replace(t, '<{1,1}?' || element || '\\M.*?</' || element || '\\s*>', ' ', 'gi');
            END IF;
          END LOOP;
        END IF;
        t := regexp_replace(t, '<[^>]*>', ' ', 'g');
      END IF;
      IF strpos(t, '&') > 0 THEN t := columnwire_decode_entities(t); END IF;
      t := columnwire_search_words(left(t, 4000));
      v := to_tsvector('simple'::regconfig, t);
      -- The parser keeps an e-mail address, a host, a path or a decimal as one word, which FTS5
      -- and the reader's query read as several: read again with punctuation as spaces (rare,
      -- so most excerpts pay only this test of their words).
      IF array_to_string(tsvector_to_array(v), ' ') ~ '[@./:_]' THEN
        v := to_tsvector('simple'::regconfig, regexp_replace(t, ${PUNCTUATION_RUN}, ' ', 'g'));
      END IF;
      RETURN v;
    END $fn$;
`;

/** A story's vector without its tokens (weight C): title A, author B, excerpt D. `row` names the stories row. */
export function searchVectorSql(row: string): string {
  return `setweight(columnwire_line_vector(${row}.title), 'A') ||
        setweight(columnwire_line_vector(${row}.author), 'B') ||
        setweight(columnwire_body_vector(coalesce(${row}.summary, ${row}.content)), 'D')`;
}
