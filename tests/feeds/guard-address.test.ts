import { describe, expect, it } from 'vitest';
import { isAddressRefusal } from '../../src/feeds/address-policy.ts';
import { checkFetchTarget, guardedLookup } from '../../src/feeds/guard-address.ts';

/** Only IP literals and localhost (from /etc/hosts) appear here: the suite runs offline. */
describe('checkFetchTarget', () => {
  it.each([
    { behaviour: 'refuses a private 10/8 address', url: 'http://10.0.0.1/feed.xml', range: /private/ },
    { behaviour: 'refuses a private 192.168/16 address', url: 'http://192.168.1.20:8080/rss', range: /private/ },
    { behaviour: 'refuses a private 172.16/12 address', url: 'https://172.16.5.4/rss', range: /private/ },
    { behaviour: 'refuses IPv4 loopback', url: 'http://127.0.0.1/', range: /loopback/ },
    { behaviour: 'refuses the rest of 127/8', url: 'http://127.10.20.30/', range: /loopback/ },
    {
      behaviour: 'refuses the cloud metadata address (link-local)',
      url: 'http://169.254.169.254/latest/meta-data/',
      range: /link-?local/i,
    },
    { behaviour: 'refuses 0.0.0.0', url: 'http://0.0.0.0:8080/', range: /unspecified/ },
    { behaviour: 'refuses carrier-grade NAT space', url: 'http://100.64.1.1/', range: /carrierGradeNat/ },
    { behaviour: 'refuses IPv6 loopback [::1]', url: 'http://[::1]:3000/feed', range: /loopback/ },
    { behaviour: 'refuses IPv4-mapped IPv6 loopback', url: 'http://[::ffff:127.0.0.1]/feed', range: /loopback/ },
    { behaviour: 'refuses IPv4-mapped IPv6 private', url: 'http://[::ffff:10.1.2.3]/feed', range: /private/ },
    { behaviour: 'refuses IPv6 link-local', url: 'http://[fe80::1]/feed', range: /link-?local/i },
    { behaviour: 'refuses IPv6 unique-local', url: 'http://[fd12:3456::1]/feed', range: /uniqueLocal/ },
    { behaviour: 'refuses loopback written as a decimal number', url: 'http://2130706433/feed', range: /loopback/ },
    { behaviour: 'refuses loopback written in hex', url: 'http://0x7f.0.0.1/feed', range: /loopback/ },
    { behaviour: 'refuses loopback written in octal', url: 'http://0177.0.0.1/feed', range: /loopback/ },
    { behaviour: 'refuses the IPv6 unspecified address [::]', url: 'http://[::]:8080/', range: /unspecified/ },
    { behaviour: 'refuses localhost by what it resolves to', url: 'http://localhost:8080/feed', range: /loopback/ },
  ])('$behaviour', async ({ url, range }) => {
    const reason = await checkFetchTarget(new URL(url), false);
    expect(reason).toMatch(range);
    expect(reason).toMatch(/allowPrivateAddresses/);
  });

  it.each(['http://8.8.8.8/feed.xml', 'https://93.184.216.34/rss', 'http://[2606:4700:4700::1111]/feed'])(
    'allows the public address %s',
    async (url) => {
      expect(await checkFetchTarget(new URL(url), false)).toBeNull();
    },
  );

  it.each(['http://10.0.0.1/feed.xml', 'http://127.0.0.1:8080/', 'http://[::1]/', 'http://169.254.169.254/'])(
    'allows %s when private addresses are allowed',
    async (url) => {
      expect(await checkFetchTarget(new URL(url), true)).toBeNull();
    },
  );

  it.each([
    { url: 'ftp://ftp.example.org/feed.xml', scheme: 'ftp:' },
    { url: 'file:///etc/passwd', scheme: 'file:' },
    { url: 'gopher://127.0.0.1:70/', scheme: 'gopher:' },
  ])('refuses a $scheme URL even when private addresses are allowed', async ({ url, scheme }) => {
    for (const allowPrivateAddresses of [false, true]) {
      const reason = await checkFetchTarget(new URL(url), allowPrivateAddresses);
      expect(reason).toContain(scheme);
      expect(reason).toMatch(/only http and https/);
    }
  });

  it.each([
    { url: 'http://127.0.0.1:8080/', policy: ['127.0.0.1'], allowed: true },
    { url: 'http://127.0.0.9/', policy: ['127.0.0.0/8'], allowed: true },
    { url: 'http://127.0.0.9/', policy: ['127.0.0.1'], allowed: false },
    { url: 'http://10.1.2.3/', policy: ['10.0.0.0/8'], allowed: true },
    { url: 'http://192.168.1.1/', policy: ['10.0.0.0/8'], allowed: false },
    { url: 'http://169.254.169.254/', policy: ['10.0.0.0/8', '127.0.0.1'], allowed: false },
    { url: 'http://[::1]/', policy: ['::1'], allowed: true },
    { url: 'http://[::ffff:10.0.0.5]/', policy: ['10.0.0.0/24'], allowed: true },
    { url: 'http://[fd00::5]/', policy: ['fd00::/8'], allowed: true },
    { url: 'http://[fd00::5]/', policy: ['10.0.0.0/8'], allowed: false },
  ])('with the list $policy, $url is allowed: $allowed', async ({ url, policy, allowed }) => {
    const reason = await checkFetchTarget(new URL(url), policy);
    if (allowed) expect(reason).toBeNull();
    else expect(reason).toMatch(/list it in poll\.allowPrivateAddresses/);
  });

  it('checks every address a name resolves to at connect time', async () => {
    const answers = [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    const lookup = guardedLookup(false, (_host, _options, callback) => callback(null, answers));
    const error = await new Promise<Error | null>((resolve) => lookup('mixed.test', { all: true }, (err) => resolve(err)));
    expect(error?.message).toMatch(/refused mixed\.test: it resolves to 10\.0\.0\.7, a private address/);
  });

  it('recognizes its own refusals, wrapped or not, and nothing else (parse adds its --allow-private hint to these only)', async () => {
    const refusal = (await checkFetchTarget(new URL('http://10.0.0.1/feed.xml'), false))!;
    expect(isAddressRefusal(refusal)).toBe(true);
    expect(isAddressRefusal(`feed http://10.0.0.1/feed.xml found on page https://example.com/ failed: ${refusal}`)).toBe(true);
    expect(isAddressRefusal((await checkFetchTarget(new URL('ftp://example.com/'), false))!)).toBe(false);
    expect(isAddressRefusal('HTTP 404 Not Found')).toBe(false);
  });
});
