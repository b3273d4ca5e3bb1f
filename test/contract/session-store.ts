// The SessionStore contract (src/session/store.ts) as one suite, run by every store's test file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { SessionRecord, SessionStore } from '../../src/session/store.js';
import { TestClock } from '../helpers/server.js';

export interface StoreUnderTest {
  readonly store: SessionStore;
  /** Lets `seconds` pass for the store: moves the frozen clock, or sleeps when the store keeps real time. */
  readonly pass: (seconds: number) => Promise<void>;
}

/** Runs the contract against stores made by `create`, which gets a frozen clock it may ignore. */
export function runSessionStoreContract(name: string, create: (clock: TestClock) => Promise<StoreUnderTest>): void {
  const record = (version: number, data: SessionRecord['data'] = { username: 'alice' }, permanent = false): SessionRecord => ({ data, permanent, version, createdAt: 1764000000 });
  const newId = () => randomBytes(32).toString('base64url');

  async function withStore(body: (subject: StoreUnderTest) => Promise<void>): Promise<void> {
    const subject = await create(new TestClock());
    try {
      await body(subject);
    } finally {
      await subject.store.close();
    }
  }

  test(`${name}: get() of an unknown id is null`, () =>
    withStore(async ({ store }) => {
      assert.equal(await store.get(newId()), null);
    }));

  test(`${name}: set() with expectedVersion null creates a record that get() returns`, () =>
    withStore(async ({ store }) => {
      const id = newId();
      // Parsed, not written as a literal: in a literal, __proto__ would set the prototype.
      const data = JSON.parse('{"username":"Zoë 🍪","cart":[1,{"n":2}],"none":null,"__proto__":"plain key"}') as SessionRecord['data'];
      assert.equal(await store.set(id, record(1, data, true), 60, null), true);
      const stored = await store.get(id);
      assert.deepEqual(stored, { data, permanent: true, version: 1, createdAt: 1764000000 });
      assert.deepEqual(Object.keys(stored!.data), ['username', 'cart', 'none', '__proto__']);
    }));

  test(`${name}: set() is compare-and-set on the version`, () =>
    withStore(async ({ store }) => {
      const id = newId();
      await store.set(id, record(1), 60, null);
      assert.equal(await store.set(id, record(1, { username: 'mallory' }), 60, null), false, 'create over an existing record');
      assert.equal(await store.set(id, record(2, { username: 'bob' }), 60, 1), true, 'the current version');
      assert.equal(await store.set(id, record(2, { username: 'eve' }), 60, 1), false, 'a stale version');
      assert.equal(await store.set(newId(), record(2), 60, 1), false, 'a version of a record that does not exist');
      assert.deepEqual((await store.get(id))?.data, { username: 'bob' });
    }));

  test(`${name}: of many concurrent writes from the same version, exactly one wins`, () =>
    withStore(async ({ store }) => {
      const id = newId();
      await store.set(id, record(1), 60, null);
      const results = await Promise.all(Array.from({ length: 20 }, (_, index) => store.set(id, record(2, { writer: index }), 60, 1)));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      assert.deepEqual(await store.get(id), record(2, { writer: winner }));
    }));

  test(`${name}: destroy() removes a record, and a missing one without error`, () =>
    withStore(async ({ store }) => {
      const id = newId();
      await store.set(id, record(1), 60, null);
      await store.destroy(id);
      assert.equal(await store.get(id), null);
      await store.destroy(id);
      await store.destroy(newId());
      assert.equal(await store.set(id, record(1), 60, null), true, 'a destroyed id counts as absent for CAS');
    }));

  test(`${name}: an expired record is never returned and counts as absent`, () =>
    withStore(async ({ store, pass }) => {
      const id = newId();
      await store.set(id, record(1), 1, null);
      assert.notEqual(await store.get(id), null);
      await pass(1.2);
      assert.equal(await store.get(id), null);
      assert.equal(await store.set(id, record(5), 60, 4), false, 'no CAS against an expired version');
      assert.equal(await store.set(id, record(1), 60, null), true);
    }));

  test(`${name}: touch() restarts the time to live without changing the record`, () =>
    withStore(async ({ store, pass }) => {
      const id = newId();
      await store.set(id, record(3), 2, null);
      await pass(1.2);
      await store.touch(id, 2);
      await pass(1.2);
      assert.deepEqual(await store.get(id), record(3), 'alive 2.4 s after the write, thanks to the touch');
      await pass(2.2);
      assert.equal(await store.get(id), null);
      await store.touch(id, 60);
      assert.equal(await store.get(id), null, 'touching an expired record does not revive it');
    }));

  test(`${name}: touch() of a missing record does nothing`, () =>
    withStore(async ({ store }) => {
      const id = newId();
      await store.touch(id, 60);
      assert.equal(await store.get(id), null);
    }));

  test(`${name}: records are copies`, () =>
    withStore(async ({ store }) => {
      const id = newId();
      const data = { list: [1] };
      await store.set(id, record(1, data), 60, null);
      data.list.push(2);
      const first = await store.get(id);
      (first!.data['list'] as number[]).push(3);
      assert.deepEqual((await store.get(id))!.data, { list: [1] });
    }));

  test(`${name}: ids that are not session ids find nothing`, () =>
    withStore(async ({ store }) => {
      for (const id of ['', '../../etc/passwd', 'a/b', '..', 'x'.repeat(43) + '\0']) {
        assert.equal(await store.get(id), null);
        await store.destroy(id);
        await store.touch(id, 60);
      }
    }));
}
