/**
 * Prints a new random SECRET_KEY, and how to rotate to it without logging anybody out.
 *
 *   npm run new-secret-key
 *
 * 32 bytes from the operating system's CSPRNG, in base64url (43 characters): 256 bits, far beyond
 * guessing, and safe in an environment variable or a shell without quoting.
 */
import { randomBytes } from 'node:crypto';

const key = randomBytes(32).toString('base64url');
console.log(key);
console.error(`
To rotate to this key without logging anybody out:
  1. SECRET_KEY=${key}
     SECRET_KEY_FALLBACKS=<the old SECRET_KEY>[,<older keys>]
     Cookies signed with an old key still verify, and are re-signed with the new one on their next response.
  2. After PERMANENT_SESSION_LIFETIME (or SESSION_ABSOLUTE_LIFETIME, if shorter) has passed, remove the
     old key from SECRET_KEY_FALLBACKS: no valid cookie can still depend on it.
If the old key leaked, skip step 1's fallback: everybody logs in again, and the leaked key is worthless.`);
