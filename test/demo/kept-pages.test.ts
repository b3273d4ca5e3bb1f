import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexPageKey, keepIndexPages } from '../../src/demo/kept-pages.js';
import { indexPage, type InspectorView } from '../../src/demo/pages.js';
import { anonymousView } from '../helpers/fixtures.js';

const anonymous: InspectorView = anonymousView(1795608000);

test('keepIndexPages() returns exactly what the plain renderer returns, and renders each distinct page once', () => {
  let renders = 0;
  const kept = keepIndexPages((username, view, token) => {
    renders += 1;
    return indexPage(username, view, token);
  });
  const views = [anonymous, { ...anonymous, permanent: true }, { ...anonymous, cookieValue: 'a.1.b' }, { ...anonymous, data: { username: 'alice' } }];
  for (let round = 0; round < 3; round += 1) {
    for (const view of views) assert.equal(kept('alice', view, 't'), indexPage('alice', view, 't'));
  }
  assert.equal(renders, views.length);
});

test('keepIndexPages() shows each visitor the page of their own settings, never a page kept for others', () => {
  // Pages for different lifetimes, stores, dates, cookies and links, rendered in turn and again (the
  // second time from the kept pages), must each show their own.
  const keptPage = keepIndexPages(indexPage);
  const links = (line: number) => ({ setCookie: `/c#L${line}`, volatileOrPermanent: `/v#L${line}`, whenToSend: `/w#L${line}`, formParser: `/f#L${line}` });
  const cookie = (timestamp: number) => `${Buffer.from('{"permanent":false,"created":1,"data":{}}').toString('base64url')}.${timestamp}.${'A'.repeat(43)}`;
  const views: { view: InspectorView; shows: RegExp }[] = [
    { view: { ...anonymous, lifetimeSeconds: 60 }, shows: /refuses it after 1 min in any case[\s\S]*survives restarts for 1 min\./ },
    { view: { ...anonymous, lifetimeSeconds: 7200 }, shows: /refuses it after 2 h in any case[\s\S]*survives restarts for 2 h\./ },
    { view: { ...anonymous, storage: { type: 'redis', cookieHolds: 'id', protection: 'signed', storedBytes: 57, storedRecord: null, cookieExpiry: null } }, shows: /in the <code>redis<\/code> store \(57 bytes\)/ },
    { view: { ...anonymous, storage: { type: 'redis', cookieHolds: 'id', protection: 'signed', storedBytes: 58, storedRecord: null, cookieExpiry: null } }, shows: /in the <code>redis<\/code> store \(58 bytes\)/ },
    { view: { ...anonymous, storage: { type: 'memory', cookieHolds: 'id', protection: 'signed', storedBytes: 57, storedRecord: null, cookieExpiry: null } }, shows: /in the <code>memory<\/code> store \(57 bytes\)/ },
    { view: { ...anonymous, storage: { ...anonymous.storage, protection: 'encrypted' } }, shows: /<strong>encrypted<\/strong>(?![\s\S]*signed, not encrypted)/ },
    { view: { ...anonymous, permanent: true, storage: { ...anonymous.storage, cookieExpiry: new Date(Date.UTC(2030, 0, 1, 0, 0, 1)) } }, shows: /until Tue, 01 Jan 2030 00:00:01 GMT/ },
    { view: { ...anonymous, permanent: true, storage: { ...anonymous.storage, cookieExpiry: new Date(Date.UTC(2030, 0, 1, 0, 0, 2)) } }, shows: /until Tue, 01 Jan 2030 00:00:02 GMT/ },
    { view: { ...anonymous, incoming: { present: true, bytes: 9, rejection: null, signedAt: new Date(Date.UTC(2031, 0, 1)), keyIndex: 0 } }, shows: /Signed at<\/th><td>Wed, 01 Jan 2031 00:00:00 GMT/ },
    { view: { ...anonymous, source: links(1) }, shows: /href="\/w#L1"[\s\S]*href="\/v#L1"[\s\S]*href="\/c#L1"/ },
    { view: { ...anonymous, source: links(2) }, shows: /href="\/w#L2"[\s\S]*href="\/v#L2"[\s\S]*href="\/c#L2"/ },
    { view: { ...anonymous, cookieValue: cookie(1795607000) }, shows: /1795607000 seconds since 1970-01-01 UTC: \w{3}, [^,]+, 16 min 40 s before this request/ },
    { view: { ...anonymous, cookieValue: cookie(1795607000), nowSeconds: 1795608001 }, shows: /1795607000 seconds since 1970-01-01 UTC: \w{3}, [^,]+, 16 min 41 s before this request/ },
  ];
  for (let round = 0; round < 2; round += 1) {
    for (const [index, { view, shows }] of views.entries()) {
      const html = keptPage(null, view);
      assert.match(html, shows, `view ${index}, round ${round}`);
      for (const [other, { shows: theirs }] of views.entries()) {
        if (!theirs.test(html)) continue;
        // Only views that differ in nothing this one shows may match it (none do here).
        assert.equal(other, index, `view ${index} shows what view ${other} should, round ${round}`);
      }
    }
  }
});

test('indexPageKey() changes with every input of the index page, so a kept page is never shown for another', () => {
  // A view with every field set, so that each one can be changed in turn. Its type is InspectorView,
  // so a field added there must be added here, and is then checked below.
  const full: InspectorView = {
    cookieName: 'session',
    incoming: { present: true, bytes: 130, rejection: null, signedAt: new Date(Date.UTC(2026, 10, 25)), keyIndex: 0 },
    cookieValue: 'payload.1795608000.signature',
    format: 'native',
    nowSeconds: 1795608000,
    permanent: false,
    lifetimeSeconds: 2678400,
    absoluteLifetimeSeconds: 7776000,
    storage: { type: 'cookie', cookieHolds: 'data', protection: 'signed', storedBytes: null, storedRecord: '{"version":1}', cookieExpiry: null },
    data: { username: 'alice' },
    source: { setCookie: '/c#L1', volatileOrPermanent: '/v#L1', whenToSend: '/w#L1', formParser: '/f#L1' },
  };
  // null becomes a value of the field's other type: a date, a size, or text.
  const changed = (value: unknown, field: string): unknown =>
    value instanceof Date ? new Date(value.getTime() + 1000)
    : value === null ? ({ cookieExpiry: new Date(0), storedBytes: 0 } as Record<string, unknown>)[field] ?? 'x'
    : typeof value === 'string' ? `${value}x`
    : typeof value === 'number' ? value + 1
    : typeof value === 'boolean' ? !value
    : { ...(value as object), extra: 1 };
  const base = indexPageKey('alice', full, 'token');
  const keys = new Set([base]);
  let fields = 0;
  for (const [name, value] of Object.entries(full)) {
    const variants: InspectorView[] =
      value !== null && typeof value === 'object' && !(value instanceof Date) && name !== 'data'
        ? Object.entries(value).map(([inner, innerValue]) => ({ ...full, [name]: { ...value, [inner]: changed(innerValue, inner) } }))
        : [{ ...full, [name]: changed(value, name) }];
    // And every field that may be null, null: absent and present must differ too.
    if (name === 'cookieValue') variants.push({ ...full, [name]: null });
    if (name === 'storage') variants.push({ ...full, storage: { ...full.storage, storedRecord: null } });
    for (const variant of variants) {
      fields += 1;
      const key = indexPageKey('alice', variant, 'token');
      assert.ok(!keys.has(key), `changing ${name} (variant ${fields}) left the key as it was: ${key}`);
      keys.add(key);
    }
  }
  assert.ok(fields >= 25, `${fields} fields checked`);
  // The two arguments beside the view, and text that tries to run into the next field.
  for (const key of [indexPageKey('bob', full, 'token'), indexPageKey(null, full, 'token'), indexPageKey('alice', full, 'token2'), indexPageKey('alice 5:token', full, '')]) {
    assert.ok(!keys.has(key), key);
    keys.add(key);
  }
  assert.equal(indexPageKey('alice', { ...full, source: null }, 'token') === indexPageKey('alice', { ...full, source: undefined }, 'token'), true, 'no links is no links');
});

test('keepIndexPages() gives a kept page only for the same inputs, and the same page as rendering it again', () => {
  const keptPage = keepIndexPages(indexPage);
  const view = (name: string): InspectorView => ({ ...anonymous, incoming: { present: true, bytes: 40, rejection: null, signedAt: null, keyIndex: 0 }, data: { username: name } });
  const first = keptPage('alice', view('alice'), 't1');
  assert.equal(keptPage('alice', view('alice'), 't1'), first);
  const bob = keptPage('bob', view('bob'), 't1');
  assert.match(bob, /Logged in as <strong>bob<\/strong>/);
  assert.doesNotMatch(bob, /alice/);
  assert.match(keptPage('alice', view('alice'), 't2'), /value="t2"/);
  // More pages than are kept: the first is rendered again, identical.
  for (let index = 0; index < 300; index += 1) keptPage(`user${index}`, view(`user${index}`), 't1');
  assert.equal(keptPage('alice', view('alice'), 't1'), first);
});
