/**
 * A debugger for session cookies: decodes and verifies one, in any format Scratchpad reads.
 *
 *   [SECRET_KEY=…] [SECRET_KEY_FALLBACKS=…] npm run decode-session-cookie -- '<cookie value>'
 *
 * Tries Scratchpad's signed format, its encrypted format (v1.…), and Flask's, with the keys, salts,
 * lifetime and cookie name the server would use in this environment: loadConfig() reads them, so
 * without SECRET_KEY the key is the development key file (.scratchpad-dev-key) in the current
 * directory, exactly as for `npm start`. Prints the format, which key verified it, when it was
 * signed and the data; or, for each format, exactly why it was refused. Exit code 0 when the
 * cookie is valid, 1 when it is not, 2 when the command is used wrongly.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ConfigError,
  DEVELOPMENT_KEY_FILE,
  FlaskCookieCodec,
  loadConfig,
  NativeCookieCodec,
  Sealer,
  Signer,
  type Config,
  type SessionCookieCodec,
} from '../src/index.js';

const USAGE = "usage: [SECRET_KEY=<key>] [SECRET_KEY_FALLBACKS=<old,keys>] decode-session-cookie '<cookie value>'";

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** The server's configuration, read from this environment as `npm start` would read it. */
function serverConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

const [value] = process.argv.slice(2);
if (value === undefined || value === '') fail(USAGE);
// Without SECRET_KEY, loadConfig() reads the development key file, and creates it when it is
// missing: a key made just now could verify no cookie, so a missing file is reported instead.
const keyFile = resolve(DEVELOPMENT_KEY_FILE);
const usingKeyFile = (process.env['SECRET_KEY'] ?? '') === '';
if (usingKeyFile && !existsSync(keyFile)) {
  fail(`SECRET_KEY is not set, and there is no development key file ${keyFile}: set SECRET_KEY to the server's key, or run this in the directory the server was started from\n${USAGE}`);
}
const config = serverConfig();
if (usingKeyFile) console.error(`SECRET_KEY is not set: using the development key in ${keyFile}`);

// Accept a whole `session=…` pair as pasted from the browser, too.
const name = config.cookie.name;
const cookie = value.startsWith(`${name}=`) ? value.slice(name.length + 1) : value;
const secrets = [config.secretKey, ...config.secretKeyFallbacks];
const maxAge = config.cookie.lifetimeSeconds;
const currentKey = usingKeyFile ? 'the development key' : 'SECRET_KEY';

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
    console.log(`  verified by: ${decoded.keyIndex === 0 ? currentKey : `SECRET_KEY_FALLBACKS[${decoded.keyIndex - 1}] (it will be re-signed with ${currentKey})`}`);
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
