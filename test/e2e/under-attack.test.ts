// Load under attack: while attackers flood the server with forged cookies and hold connections open
// with slow requests (slowloris), good clients keep logging in and out correctly.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { get, postForm, sessionCookieFrom, startServer } from '../helpers/server.js';

test('good clients keep logging in and out while bad cookies flood in and slow clients hang on', async () => {
  // Short timeouts so that the slow clients are cut off within the test.
  const server = await startServer({ HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000' });
  const { port } = new URL(server.url);
  const slow: Socket[] = [];
  let slowCut = 0;
  let stop = false;
  try {
    // 1. Slowloris: 100 connections that send a header byte every 200 ms and never finish.
    for (let index = 0; index < 100; index += 1) {
      // From an address of their own (Linux routes all of 127/8 to loopback), as an attacker would be:
      // MAX_CONNECTIONS_PER_CLIENT keeps the good clients on 127.0.0.1 out of their count.
      const socket = connect({ port: Number(port), host: '127.0.0.1', localAddress: '127.0.0.2' });
      socket.on('error', () => {});
      socket.on('close', () => (slowCut += 1));
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      const drip = setInterval(() => (socket.destroyed ? clearInterval(drip) : socket.write('a')), 200);
      slow.push(socket);
    }
    // 2. A flood of forged and garbage cookies, as fast as one client can send them.
    let flooded = 0;
    const flood = (async () => {
      while (!stop) {
        const response = await get(server.url, `session=${Buffer.from(`{"forged":${flooded}}`).toString('base64url')}.1.AAAA; junk=${'x'.repeat(flooded % 500)}`);
        assert.equal(response.status, 200);
        await response.arrayBuffer();
        flooded += 1;
      }
    })();
    // 3. Meanwhile, 20 good users log in, see their page, and log out, each 5 times.
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 20 }, async (_, user) => {
        for (let round = 0; round < 5; round += 1) {
          const login = await postForm(`${server.url}/login`, { username: `user-${user}` });
          assert.equal(login.status, 303);
          const cookie = sessionCookieFrom(login)!;
          assert.match(await (await get(server.url, cookie)).text(), new RegExp(`Logged in as <strong>user-${user}</strong>`));
          const logout = await get(`${server.url}/logout`, cookie);
          assert.match(logout.headers.getSetCookie()[0]!, /^session=; Max-Age=0/);
        }
      }),
    );
    const goodSeconds = (Date.now() - started) / 1000;
    // 4. The slow clients were cut off by the server's timeouts, not by us.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    stop = true;
    await flood;
    console.log(`# under attack: 100 good rounds in ${goodSeconds.toFixed(2)} s beside ${flooded} forged requests and 100 slow connections`);
    assert.ok(flooded > 100, `the flood ran (${flooded} forged requests)`);
    assert.ok(goodSeconds < 20, `100 good login/logout rounds took ${goodSeconds} s`);
    assert.equal(slowCut, 100, 'every slow connection was closed by the server');
    assert.deepEqual(server.errorLog, []);
  } finally {
    stop = true;
    for (const socket of slow) socket.destroy();
    await server.close();
  }
});
