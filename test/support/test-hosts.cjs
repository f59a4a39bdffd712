// Preloaded into a CLI process by tests (node --require): the host names in SCHEMAGUARD_TEST_HOSTS
// ("name=address,…") resolve to their addresses, as an /etc/hosts line would make them, so a test reaches a
// local server by a remote-looking name (the name its certificate holds). Every other name resolves as usual.
const dns = require('node:dns');
const names = new Map((process.env.SCHEMAGUARD_TEST_HOSTS ?? '').split(',').filter(Boolean).map((pair) => pair.split('=')));
const lookup = dns.lookup;
dns.lookup = function testLookup(hostname, options, callback) {
  const address = names.get(hostname);
  if (address === undefined) return lookup.apply(this, arguments);
  const cb = typeof options === 'function' ? options : callback;
  const all = typeof options === 'object' && options !== null && options.all;
  process.nextTick(() => (all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4)));
};
