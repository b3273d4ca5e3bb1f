import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { clientAddress, clientKey } from '../../src/http/client-address.js';

const keyCases: readonly { address: string; key: string }[] = [
  { address: '203.0.113.7', key: '203.0.113.7' },
  { address: '127.0.0.2', key: '127.0.0.2' },
  // An IPv4 client on a dual-stack socket is that IPv4 client.
  { address: '::ffff:203.0.113.7', key: '203.0.113.7' },
  { address: '::FFFF:127.0.0.1', key: '127.0.0.1' },
  // IPv6: one key per /64, however the address is written.
  { address: '2001:db8:1:2:3:4:5:6', key: '2001:db8:1:2::/64' },
  { address: '2001:db8:1:2:ffff:ffff:ffff:ffff', key: '2001:db8:1:2::/64' },
  { address: '2001:0DB8:0001:0002::1', key: '2001:db8:1:2::/64' },
  { address: '2001:db8::1', key: '2001:db8:0:0::/64' },
  { address: '2001:db8:0:0:1::', key: '2001:db8:0:0::/64' },
  { address: '::1', key: '0:0:0:0::/64' },
  { address: '::', key: '0:0:0:0::/64' },
  { address: 'fe80::1%eth0', key: 'fe80:0:0:0::/64' },
  { address: '64:ff9b::192.0.2.33', key: '64:ff9b:0:0::/64' },
  { address: 'unknown', key: 'unknown' },
];

for (const { address, key } of keyCases) {
  test(`clientKey(${JSON.stringify(address)}) is ${key}`, () => {
    assert.equal(clientKey(address), key);
  });
}

test('clientKey() gives every address of one /64 the same key and the next /64 another', () => {
  assert.equal(clientKey('2001:db8:a:b::1'), clientKey('2001:db8:a:b:dead:beef:0:1'));
  assert.notEqual(clientKey('2001:db8:a:b::1'), clientKey('2001:db8:a:c::1'));
});

function request(remoteAddress: string | undefined, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

const addressCases: readonly { name: string; request: IncomingMessage; trustProxy: boolean; want: string }[] = [
  { name: 'the socket address without a proxy', request: request('203.0.113.7'), trustProxy: false, want: '203.0.113.7' },
  { name: 'X-Forwarded-For is ignored without TRUST_PROXY', request: request('203.0.113.7', '198.51.100.1'), trustProxy: false, want: '203.0.113.7' },
  { name: 'the last X-Forwarded-For entry with TRUST_PROXY', request: request('10.0.0.1', '198.51.100.1'), trustProxy: true, want: '198.51.100.1' },
  {
    name: 'entries the client wrote before the proxy’s are not believed',
    request: request('10.0.0.1', '1.1.1.1, 2.2.2.2,198.51.100.1'),
    trustProxy: true,
    want: '198.51.100.1',
  },
  { name: 'an IPv6 entry', request: request('10.0.0.1', '2001:db8::7'), trustProxy: true, want: '2001:db8::7' },
  // Some proxies add the client's port: still the client, not the proxy for everyone.
  { name: 'an IPv4 entry with a port', request: request('10.0.0.1', '198.51.100.1:51234'), trustProxy: true, want: '198.51.100.1' },
  { name: 'a bracketed IPv6 entry with a port', request: request('10.0.0.1', '[2001:db8::7]:51234'), trustProxy: true, want: '2001:db8::7' },
  { name: 'a bracketed IPv6 entry without a port', request: request('10.0.0.1', '[2001:db8::7]'), trustProxy: true, want: '2001:db8::7' },
  { name: 'a last entry that is not an address falls back to the socket', request: request('10.0.0.1', '198.51.100.1, evil'), trustProxy: true, want: '10.0.0.1' },
  { name: 'no header falls back to the socket', request: request('10.0.0.1'), trustProxy: true, want: '10.0.0.1' },
  { name: 'a closed socket has no address', request: request(undefined), trustProxy: false, want: 'unknown' },
];

for (const { name, request: incoming, trustProxy, want } of addressCases) {
  test(`clientAddress(): ${name}`, () => {
    assert.equal(clientAddress(incoming, trustProxy), want);
  });
}
