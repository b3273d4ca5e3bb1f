/**
 * A debugger for session cookies: decodes and verifies one, in any format Scratchpad reads.
 *
 *   SECRET_KEY=… [SECRET_KEY_FALLBACKS=…] npm run decode-session-cookie -- '<cookie value>'
 *
 * Tries Scratchpad's signed format, its encrypted format (v1.…), and Flask's, with the same keys,
 * salts and lifetime (PERMANENT_SESSION_LIFETIME, default 31 days) the server uses, and the cookie
 * name from SESSION_COOKIE_NAME (default `session`). Prints the format, which key verified it, when
 * it was signed and the data; or, for each format, exactly why it was refused. Exit code 0 when the
 * cookie is valid, 1 when it is not, 2 when the command is used wrongly.
 */
import { FlaskCookieCodec, NativeCookieCodec, Sealer, Signer, type SessionCookieCodec } from '../src/index.js';

const [value] = process.argv.slice(2);
const secret = process.env['SECRET_KEY'];
if (value === undefined || value === '' || secret === undefined || secret === '') {
  console.error("usage: SECRET_KEY=<key> [SECRET_KEY_FALLBACKS=<old,keys>] decode-session-cookie '<cookie value>'");
  process.exit(2);
}
// Accept a whole `session=…` pair as pasted from the browser, too.
const name = process.env['SESSION_COOKIE_NAME'] || 'session';
const cookie = value.startsWith(`${name}=`) ? value.slice(name.length + 1) : value;
const secrets = [secret, ...(process.env['SECRET_KEY_FALLBACKS'] ?? '').split(',').map((key) => key.trim()).filter((key) => key !== '')];
const maxAge = Number(process.env['PERMANENT_SESSION_LIFETIME'] || 31 * 24 * 60 * 60);

const codecs: [string, SessionCookieCodec][] = [
  ['Scratchpad, signed', new NativeCookieCodec(new Signer({ secrets, salt: 'scratchpad.session' }))],
  ['Scratchpad, encrypted', new NativeCookieCodec(new Sealer({ secrets }))],
  ['Flask', new FlaskCookieCodec({ secrets })],
];

const refusals: string[] = [];
for (const [format, codec] of codecs) {
  try {
    const decoded = codec.decode(name, cookie, maxAge);
    const age = Math.round((Date.now() - decoded.signedAt.getTime()) / 1000);
    console.log(`valid ${format} session cookie`);
    console.log(`  verified by: ${decoded.keyIndex === 0 ? 'SECRET_KEY' : `SECRET_KEY_FALLBACKS[${decoded.keyIndex - 1}] (it will be re-signed with SECRET_KEY)`}`);
    console.log(`  signed at:   ${decoded.signedAt.toISOString()} (${age} s ago; refused after ${maxAge} s)`);
    console.log(`  kind:        ${decoded.permanent ? 'permanent' : 'volatile'}`);
    if (decoded.created !== null) console.log(`  login at:    ${new Date(decoded.created * 1000).toISOString()}`);
    console.log(`  data:        ${JSON.stringify(decoded.data, null, 2).replace(/\n/g, '\n               ')}`);
    process.exit(0);
  } catch (error) {
    refusals.push(`  as ${format}: ${(error as Error).name}: ${(error as Error).message}`);
  }
}
console.log(`not a valid session cookie for these keys:\n${refusals.join('\n')}`);
process.exit(1);
