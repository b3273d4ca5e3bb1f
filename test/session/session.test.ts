import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../src/http/http-error.js';
import { Session, SessionTooLargeError, type JsonValue } from '../../src/session/session.js';

test('Session starts new, empty, volatile, unread and unchanged', () => {
  const session = new Session();
  assert.equal(session.isNew, true);
  assert.equal(session.permanent, false);
  assert.equal(session.modified, false);
  assert.equal(session.accessed, false);
  assert.equal(session.size, 0);
});

test('Session built from a cookie keeps its data and flag and is not new', () => {
  const session = new Session([['username', 'alice']], { permanent: true, isNew: false });
  assert.equal(session.isNew, false);
  assert.equal(session.permanent, true);
  assert.equal(session.get('username'), 'alice');
  assert.equal(session.modified, false);
});

const readers: readonly { name: string; read: (session: Session) => unknown }[] = [
  { name: 'get()', read: (session) => session.get('a') },
  { name: 'has()', read: (session) => session.has('a') },
  { name: 'keys()', read: (session) => session.keys() },
  { name: 'size', read: (session) => session.size },
  { name: 'toObject()', read: (session) => session.toObject() },
];

for (const { name, read } of readers) {
  test(`Session.${name} marks the session accessed but not modified`, () => {
    const session = new Session([['a', 1]]);
    read(session);
    assert.equal(session.accessed, true);
    assert.equal(session.modified, false);
  });
}

test('Session.set() marks the session accessed and modified', () => {
  const session = new Session();
  session.set('username', 'alice');
  assert.equal(session.get('username'), 'alice');
  assert.equal(session.accessed, true);
  assert.equal(session.modified, true);
});

test('Session.delete() of a present key is a modification; of an absent key it is not', () => {
  const session = new Session([['a', 1]]);
  assert.equal(session.delete('b'), false);
  assert.equal(session.modified, false);
  assert.equal(session.delete('a'), true);
  assert.equal(session.modified, true);
  assert.equal(session.has('a'), false);
});

test('Session.clear() of a non-empty session is a modification; of an empty one it is not', () => {
  const empty = new Session();
  empty.clear();
  assert.equal(empty.modified, false);
  const full = new Session([['a', 1], ['b', 2]]);
  full.clear();
  assert.equal(full.modified, true);
  assert.equal(full.size, 0);
});

test('Session.permanent is a modification only when it changes', () => {
  const session = new Session();
  session.permanent = false;
  assert.equal(session.modified, false);
  session.permanent = true;
  assert.equal(session.modified, true);
  assert.equal(session.permanent, true);
});

test('Session.toObject() keeps "__proto__" as an ordinary key', () => {
  const session = new Session([['__proto__', 'x']]);
  const object = session.toObject();
  assert.equal(Object.getPrototypeOf(object), Object.prototype);
  assert.deepEqual(Object.keys(object), ['__proto__']);
});

test('Session.set() accepts every JSON value', () => {
  const session = new Session();
  const value: JsonValue = { n: 1.5, s: 'x', b: false, z: null, list: [1, 'two', [3], { four: 4 }] };
  session.set('v', value);
  assert.deepEqual(session.get('v'), value);
});

const notJson: readonly { name: string; value: unknown; message: RegExp }[] = [
  { name: 'undefined', value: undefined, message: /got undefined/ },
  { name: 'NaN', value: Number.NaN, message: /finite number, got NaN/ },
  { name: 'Infinity inside an array', value: [1, Infinity], message: /v\[1\] must be a finite number/ },
  { name: 'a Date', value: new Date(0), message: /got \[object Date\]/ },
  { name: 'a Map nested in an object', value: { inner: new Map() }, message: /v\.inner .*\[object Map\]/ },
  { name: 'a function', value: () => 1, message: /got function/ },
  { name: 'a bigint', value: 1n, message: /got bigint/ },
];

for (const { name, value, message } of notJson) {
  test(`Session.set() refuses ${name}, which JSON would change`, () => {
    const session = new Session();
    assert.throws(() => session.set('v', value as JsonValue), (error: unknown) => error instanceof TypeError && message.test(error.message));
    assert.equal(session.modified, false, 'a refused value changes nothing');
  });
}

test('SessionTooLargeError is a 413 HttpError that says the old session is unchanged', () => {
  const error = new SessionTooLargeError(5000, 4096);
  assert.ok(error instanceof HttpError);
  assert.equal(error.status, 413);
  assert.equal(error.bytes, 5000);
  assert.match(error.message, /5000-byte cookie.*over 4096 bytes.*previous session is unchanged/);
});
