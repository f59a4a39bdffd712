'use strict'
// pg's lib/crypto/utils.js for the CLI bundle, on node:crypto's own functions.
// pg's version goes through Web Crypto (crypto.subtle): loading it and its
// asynchronous calls cost about 4 ms of each cold connection's SCRAM
// handshake (17 ms → 13 ms here), where node:crypto, already loaded for the
// checksums, does the same computations. Same exports, same results
// (test/scripts/pg-node-crypto.test.ts compares them with pg's).
const crypto = require('crypto')

// SCRAM's salted password (PBKDF2, 4,096 rounds by default: about 3 ms of
// CPU) for a password, salt and round count already derived in this process:
// migrate's second connection (the runner lock holds the first) logs in as
// the same user, with the same salt. Kept in this process's memory only, as
// the password itself is; a few entries at most.
const derived = new Map()
const DERIVED_MAX = 4

function deriveKey(password, salt, iterations) {
  const id = `${iterations}:${Buffer.from(salt).toString('base64')}`
  const hit = derived.get(id)
  if (hit && hit.password === password) return Buffer.from(hit.key)
  const key = crypto.pbkdf2Sync(password, salt, iterations, 32, 'sha256')
  if (derived.size >= DERIVED_MAX) derived.delete(derived.keys().next().value)
  derived.set(id, { password, key: Buffer.from(key) })
  return key
}

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
  deriveKey: async (password, salt, iterations) => deriveKey(password, salt, iterations),
}
