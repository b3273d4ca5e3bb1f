/**
 * Micro benchmarks: each mechanism against a floor or a reference measured in the same run, then
 * the session's cost as it grows, then the memory store's bytes per session.
 *
 *   npm run bench:micro            (node --expose-gc, so that heap figures are after a full GC)
 *
 * "floor": the least work that does the same job (one bare createHmac + timingSafeEqual for
 * verify): the ratio says how close the mechanism comes to it. "reference": the straightforward
 * way to write the same function (split/split for cookies, chained replace() for escaping): a
 * ratio ≥ 1 means ours is at least as fast. Absolute numbers depend on the machine; ratios less.
 * MICRO_MS (default 400) is the time per measurement.
 */
import { createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import {
  CookieSessionInterface,
  escapeHtml,
  htmlReply,
  loadConfig,
  MemoizedCookieCodec,
  MemoizedSealer,
  MemoizedSigner,
  NativeCookieCodec,
  openSessionBackend,
  parseCookieHeader,
  readCookie,
  parseUrlencoded,
  Sealer,
  serializeSetCookie,
  Signer,
  type SessionInterface,
} from '../src/index.js';
import { memoryStoreBytesPerSession } from './memory-store-heap.js';

const MILLISECONDS = Number(process.env['MICRO_MS'] ?? 400);
const SECRET = 'benchmark-secret-key-of-at-least-32-bytes';

/** Calls `work` in batches for MILLISECONDS (after a warm-up of a quarter of that) and returns calls per second. */
function opsPerSecond(work: () => unknown): number {
  const run = (milliseconds: number) => {
    let calls = 0;
    const started = performance.now();
    let elapsed = 0;
    while (elapsed < milliseconds) {
      for (let index = 0; index < 1000; index += 1) work();
      calls += 1000;
      elapsed = performance.now() - started;
    }
    return (calls * 1000) / elapsed;
  };
  run(MILLISECONDS / 4);
  return run(MILLISECONDS);
}

interface MicroRow {
  readonly mechanism: string;
  readonly against: string;
  readonly ours: number;
  readonly theirs: number;
}
const micro: MicroRow[] = [];
function compare(mechanism: string, against: string, ours: () => unknown, theirs: () => unknown): void {
  micro.push({ mechanism, against, ours: opsPerSecond(ours), theirs: opsPerSecond(theirs) });
}

// --- Signing: against one bare HMAC, the memoized signer (fast/memoized-signer.ts) and the plain one.
const signer = new MemoizedSigner({ secrets: [SECRET], salt: 'bench' });
const unmemoized = new Signer({ secrets: [SECRET], salt: 'bench' });
const payload = JSON.stringify({ permanent: false, created: 1_800_000_000, data: { username: 'benchmark' } });
const signed = signer.sign('session', payload);
const [encodedPayload, timestamp, encodedSignature] = signed.split('.') as [string, string, string];
const floorKey = createHmac('sha256', SECRET).update('bench').digest();
const sentSignature = Buffer.from(encodedSignature, 'base64url');
const hmacFloor = () => timingSafeEqual(createHmac('sha256', floorKey).update(`session=${encodedPayload}.${timestamp}`).digest(), sentSignature);
const year = 365 * 24 * 3600;
compare('MemoizedSigner.verify, same cookie again', 'floor: createHmac + timingSafeEqual', () => signer.verify('session', signed, year), hmacFloor);
compare('Signer.verify (plain)', 'floor: createHmac + timingSafeEqual', () => unmemoized.verify('session', signed, year), hmacFloor);
compare('MemoizedSigner.sign, same payload and second', 'floor: createHmac + base64url', () => signer.sign('session', payload), () =>
  createHmac('sha256', floorKey).update(`session=${encodedPayload}.${timestamp}`).digest('base64url'),
);
compare('Signer.sign (plain)', 'floor: createHmac + base64url', () => unmemoized.sign('session', payload), () =>
  createHmac('sha256', floorKey).update(`session=${encodedPayload}.${timestamp}`).digest('base64url'),
);

// --- Sealing (SESSION_COOKIE_ENCRYPT=true): against one bare AES-256-GCM decipher of the same value.
const sealer = new MemoizedSealer({ secrets: [SECRET] });
const unmemoizedSealer = new Sealer({ secrets: [SECRET] });
const sealed = sealer.seal('session', payload);
const sealedBytes = Buffer.from(sealed.split('.')[2]!, 'base64url');
const sealerKey = Buffer.from(hkdfSync('sha256', SECRET, 'scratchpad.sealer', 'aes-256-gcm v1', 32));
const sealedAad = Buffer.from(`session=${sealed.split('.').slice(0, 2).join('.')}`);
const decipherFloor = () => {
  const decipher = createDecipheriv('aes-256-gcm', sealerKey, sealedBytes.subarray(0, 12), { authTagLength: 16 });
  decipher.setAAD(sealedAad);
  decipher.setAuthTag(sealedBytes.subarray(sealedBytes.length - 16));
  return Buffer.concat([decipher.update(sealedBytes.subarray(12, sealedBytes.length - 16)), decipher.final()]);
};
if (!decipherFloor().equals(Buffer.from(payload))) throw new Error('the decipher floor does not open what Sealer sealed');
compare('MemoizedSealer.open, same cookie again', 'floor: one AES-256-GCM decipher', () => sealer.open('session', sealed, year), decipherFloor);
compare('Sealer.open (plain)', 'floor: one AES-256-GCM decipher', () => unmemoizedSealer.open('session', sealed, year), decipherFloor);

// --- Parsers and serializers: against the straightforward version anyone would write first.
const cookieHeader = `_ga=GA1.1.123456789.1700000000; theme=dark; session=${signed}; session_csrf=y7mpFsls4xV99Bn5QSpKFEW3snnAHBZtEEl6DHlw_M4.1795650049.HcNB7My4oX0ZWxybjCAaUR9JpC6zIgYcrje470W10oo`;
const referenceCookieParse = (header: string) => {
  const cookies: Record<string, string> = {};
  for (const pair of header.split(';')) {
    const [name, ...rest] = pair.split('=');
    if (name !== undefined && rest.length > 0) cookies[name.trim()] = rest.join('=').trim();
  }
  return cookies;
};
compare('parseCookieHeader (4 cookies)', 'reference: split(";") + split("=")', () => parseCookieHeader(cookieHeader), () => referenceCookieParse(cookieHeader));
// What the session layer does on every request: one cookie out of the header.
compare('readCookie (the session cookie of 4)', 'reference: split(";") + split("=")', () => readCookie(cookieHeader, 'session'), () => referenceCookieParse(cookieHeader)['session']);
const setCookie = { name: 'session', value: signed, path: '/', httpOnly: true, secure: false, sameSite: 'Lax' as const, maxAge: 2_678_400, expires: new Date(1_800_000_000_000) };
compare('serializeSetCookie (validated)', 'reference: template string, no checks', () => serializeSetCookie(setCookie), () =>
  `${setCookie.name}=${setCookie.value}; Max-Age=${setCookie.maxAge}; Expires=${setCookie.expires.toUTCString()}; Path=${setCookie.path}; HttpOnly; SameSite=${setCookie.sameSite}`,
);
const form = Buffer.from('username=alice+smith&remember=on&next=%2F&csrf_token=y7mpFsls4xV99Bn5QSpKFEW3snnAHBZtEEl6DHlw_M4');
compare('parseUrlencoded (4 fields, limits)', 'reference: new URLSearchParams()', () => parseUrlencoded(form), () => new URLSearchParams(form.toString('utf8')));
const referenceEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const plainText = 'Logged in as benchmark, session signed at Wed, 25 Nov 2026 23:59:47 GMT';
const markup = '<script>alert("x")</script> & \'friends\'';
compare('escapeHtml, nothing to escape', 'reference: five chained replace()', () => escapeHtml(plainText), () => referenceEscape(plainText));
compare('escapeHtml, markup', 'reference: five chained replace()', () => escapeHtml(markup), () => referenceEscape(markup));
// The loop's weak spot, reported rather than hidden: a long text with one special character near
// each end (a 3,000-character username in the inspector's JSON) is walked character by character.
const longText = `"${'x'.repeat(3000)}"`;
compare('escapeHtml, 3,000 characters, 2 to escape', 'reference: five chained replace()', () => escapeHtml(longText), () => referenceEscape(longText));

// --- Session encode/decode: the native codec against JSON + base64url + one HMAC, memoized (the
// decoded-data memo over the MAC memo, as session/backend.ts wires them) and plain.
const codec = new MemoizedCookieCodec(signer);
const plainCodec = new NativeCookieCodec(unmemoized);
const memoOverPlain = new MemoizedCookieCodec(unmemoized);
const session = { permanent: false, created: 1_800_000_000, data: { username: 'benchmark' } };
const encoded = codec.encode('session', session);
const decodeFloor = () => {
  hmacFloor();
  return JSON.parse(Buffer.from(encodedPayload, 'base64url').toString('utf8'));
};
const encodeFloor = () => {
  const body = Buffer.from(JSON.stringify(session)).toString('base64url');
  return `${body}.${timestamp}.${createHmac('sha256', floorKey).update(`session=${body}.${timestamp}`).digest('base64url')}`;
};
compare('session decode (cookie → data, memoized)', 'floor: HMAC + base64url + JSON.parse', () => codec.decode('session', encoded, year), decodeFloor);
compare('session decode (plain)', 'floor: HMAC + base64url + JSON.parse', () => plainCodec.decode('session', encoded, year), decodeFloor);
compare('session decode, memoized codec, plain Signer', 'floor: HMAC + base64url + JSON.parse', () => memoOverPlain.decode('session', encoded, year), decodeFloor);
compare('session encode (data → cookie, memoized)', 'floor: JSON.stringify + base64url + HMAC', () => codec.encode('session', session), encodeFloor);
compare('session encode (plain)', 'floor: JSON.stringify + base64url + HMAC', () => plainCodec.encode('session', session), encodeFloor);

console.log(`micro benchmarks, ${MILLISECONDS} ms each (ops/s; ratio = ours / floor or reference)`);
console.log(`${'mechanism'.padEnd(46)}${'against'.padEnd(42)}${'ours'.padStart(12)}${'theirs'.padStart(12)}  ratio`);
for (const row of micro) {
  console.log(`${row.mechanism.padEnd(46)}${row.against.padEnd(42)}${row.ours.toFixed(0).padStart(12)}${row.theirs.toFixed(0).padStart(12)}  ${(row.ours / row.theirs).toFixed(2)}x`);
}

// --- Scaling: the session layer's work per request (open + commit) as the session grows.
async function sessionCostMicroseconds(sessions: SessionInterface, dataBytes: number, permanent: boolean): Promise<number> {
  const first = await sessions.open(undefined, false);
  first.session.set('notes', 'n'.repeat(dataBytes));
  first.session.permanent = permanent;
  const committed = await sessions.commit(first, htmlReply(200, ''));
  const cookie = String(committed.headers['set-cookie']).split(';')[0]!;
  const requests = 5000;
  const round = async () => {
    const started = performance.now();
    for (let index = 0; index < requests; index += 1) {
      const loaded = await sessions.open(cookie, false);
      loaded.session.get('notes');
      await sessions.commit(loaded, htmlReply(200, ''));
    }
    return ((performance.now() - started) * 1000) / requests;
  };
  await round();
  return round();
}
const config = loadConfig({ SECRET_KEY: SECRET });
// As session/backend.ts builds them by default: the memoized signer and codec.
const cookieSessions = new CookieSessionInterface(config.cookie, new MemoizedCookieCodec(new MemoizedSigner({ secrets: [SECRET], salt: 'scratchpad.session' })));
const memory = await openSessionBackend({ cookie: config.cookie, store: loadConfig({ SECRET_KEY: SECRET, SESSION_TYPE: 'memory' }).store, secrets: [SECRET] });
console.log('\nsession cost per request (open + commit, in process), by size of the session data');
console.log(`${'data bytes'.padStart(10)}${'cookie volatile µs'.padStart(20)}${'cookie permanent µs'.padStart(21)}${'memory store µs'.padStart(17)}`);
for (const bytes of [100, 500, 1000, 2000, 2800, 3500]) {
  // A cookie holds at most 4096 bytes: base64url makes 3 bytes 4, so ~2.9 KB of data is the most it carries.
  const fits = bytes <= 2800;
  const volatile = fits ? (await sessionCostMicroseconds(cookieSessions, bytes, false)).toFixed(1) : 'too large';
  const permanent = fits ? (await sessionCostMicroseconds(cookieSessions, bytes, true)).toFixed(1) : 'too large';
  const stored = (await sessionCostMicroseconds(memory.sessions, bytes, false)).toFixed(1);
  console.log(`${String(bytes).padStart(10)}${volatile.padStart(20)}${permanent.padStart(21)}${stored.padStart(17)}`);
}
await memory.close();

// --- Memory store: heap per session, data included.
console.log('\nmemory store: heap per session (username of 10 characters; data itself ≈ 40 bytes as JS strings)');
for (const count of [10_000, 100_000, 1_000_000]) {
  console.log(`${count.toLocaleString('en').padStart(10)} sessions: ${(await memoryStoreBytesPerSession(count)).toFixed(0)} bytes each`);
}
