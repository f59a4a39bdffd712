/**
 * A PostgreSQL SCRAM-SHA-256 password verifier, computed here so that the
 * password itself never reaches the server: `CREATE ROLE … PASSWORD '<verifier>'`
 * stores the verifier as given, and a statement that ends up in the server
 * log (log_statement, or log_min_error_statement when it fails) shows the
 * verifier, not the password. This is what psql's \password does; the
 * PostgreSQL manual recommends it in the notes of CREATE ROLE ("the password
 * will be transmitted to the server in cleartext, and it might also be logged
 * … in the server log") and documents the format in "Password
 * Authentication" (the stored form `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`).
 * The Data API needs this method too: for Aurora PostgreSQL 14 and higher it
 * supports only scram-sha-256 passwords (Aurora user guide, Data API
 * limitations).
 *
 * RFC 5802 / RFC 7677: SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt,
 * iterations); StoredKey = SHA-256(HMAC(SaltedPassword, "Client Key"));
 * ServerKey = HMAC(SaltedPassword, "Server Key"). The password is SASLprep'd
 * first; for printable ASCII that is the identity, and only such passwords
 * are accepted here (the generated secret's are).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's defaults: scram_iterations (16+) and the salt length of src/include/common/scram-common.h. */
export const SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;

/** The verifier of `password`; `salt` is random unless given (tests). */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(SALT_BYTES), iterations = SCRAM_ITERATIONS): string {
  if (!/^[\x21-\x7e]+$/.test(password)) {
    // Only the shape is described: the password itself never goes into a message.
    throw new Error(
      `the guard role's password has ${password.length} characters, not all printable ASCII without spaces; generate it with printable ASCII (SASLprep leaves those unchanged)`,
    );
  }
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
