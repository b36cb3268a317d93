/** Whom the rate limits count: the connection, or the client a trusted proxy forwards for (X-Forwarded-For, read from the right). */
import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../src/publish/client-address.ts';

const PROXIES = ['10.0.0.0/8', '::1'];

describe('clientAddress', () => {
  it.each([
    { why: 'no trusted proxy: the socket, whatever the header', socket: '10.0.0.5', xff: '1.2.3.4', trusted: [], expected: '10.0.0.5' },
    { why: 'an untrusted socket: its own address', socket: '198.51.100.7', xff: '1.2.3.4', trusted: PROXIES, expected: '198.51.100.7' },
    { why: 'a trusted proxy without the header', socket: '10.0.0.5', xff: undefined, trusted: PROXIES, expected: '10.0.0.5' },
    { why: 'the entry the proxy appended', socket: '10.0.0.5', xff: '1.2.3.4', trusted: PROXIES, expected: '1.2.3.4' },
    {
      why: 'the rightmost untrusted entry, not what the client forged on the left',
      socket: '10.0.0.5',
      xff: '6.6.6.6, 1.2.3.4',
      trusted: PROXIES,
      expected: '1.2.3.4',
    },
    { why: 'through two trusted proxies', socket: '10.0.0.5', xff: '1.2.3.4, 10.0.0.9', trusted: PROXIES, expected: '1.2.3.4' },
    { why: 'every hop trusted: the leftmost', socket: '10.0.0.5', xff: '10.1.1.1, 10.0.0.9', trusted: PROXIES, expected: '10.1.1.1' },
    {
      why: 'a forged non-address left of a real hop: the real hop',
      socket: '10.0.0.5',
      xff: 'nonsense, 1.2.3.4',
      trusted: PROXIES,
      expected: '1.2.3.4',
    },
    {
      why: 'a non-address appended: the last address known',
      socket: '10.0.0.5',
      xff: '1.2.3.4, unknown',
      trusted: PROXIES,
      expected: '10.0.0.5',
    },
    {
      why: 'ports and brackets as some proxies write them',
      socket: '::1',
      xff: '[2001:db8::1]:443',
      trusted: PROXIES,
      expected: '2001:db8::1',
    },
    { why: 'an IPv4 hop with a port', socket: '::1', xff: '1.2.3.4:5678', trusted: PROXIES, expected: '1.2.3.4' },
    {
      why: 'an IPv4-mapped socket address of a trusted proxy',
      socket: '::ffff:10.0.0.5',
      xff: '1.2.3.4',
      trusted: PROXIES,
      expected: '1.2.3.4',
    },
  ])('$why', ({ socket, xff, trusted, expected }) => {
    expect(clientAddress(socket, xff === undefined ? {} : { 'x-forwarded-for': xff }, trusted)).toBe(expected);
  });

  it('reads several X-Forwarded-For headers as one list', () => {
    expect(clientAddress('10.0.0.5', { 'x-forwarded-for': ['6.6.6.6', '1.2.3.4'] }, PROXIES)).toBe('1.2.3.4');
  });
});
