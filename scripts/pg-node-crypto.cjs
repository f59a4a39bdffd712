'use strict'
// pg's lib/crypto/utils.js for the CLI bundle, on node:crypto's own functions.
// pg's version goes through Web Crypto (crypto.subtle): loading it and its
// asynchronous calls cost about 4 ms of each cold connection's SCRAM
// handshake (17 ms → 13 ms here), where node:crypto, already loaded for the
// checksums, does the same computations. Same exports, same results
// (test/scripts/pg-node-crypto.test.ts compares them with pg's).
const crypto = require('crypto')

function md5(text) {
  return crypto.createHash('md5').update(text, 'utf-8').digest('hex')
}

module.exports = {
  randomBytes: (length) => crypto.randomBytes(length),
  md5: async (text) => md5(text),
  // See AuthenticationMD5Password in PostgreSQL's protocol documentation.
  postgresMd5PasswordHash: async (user, password, salt) => 'md5' + md5(Buffer.concat([Buffer.from(md5(password + user)), salt])),
  sha256: async (data) => crypto.createHash('sha256').update(Buffer.from(data)).digest(),
  // Web Crypto's names (SHA-256, SHA-384, SHA-512) as node:crypto spells them.
  hashByName: async (name, data) => crypto.createHash(String(name).replace('-', '').toLowerCase()).update(Buffer.from(data)).digest(),
  hmacSha256: async (key, message) => crypto.createHmac('sha256', Buffer.from(key)).update(message).digest(),
  deriveKey: async (password, salt, iterations) => crypto.pbkdf2Sync(password, salt, iterations, 32, 'sha256'),
}
