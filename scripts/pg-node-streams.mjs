// An esbuild plugin for the CLI bundle: pg's lib/stream.js decides at load
// time whether it runs in a Cloudflare Worker, and on Node.js 20 (which has
// no `navigator`) it does so by constructing a fetch `Response` — which loads
// Node's whole fetch implementation (undici), about a fifth of the CLI's
// start-up, to learn what the bundle already knows: it runs on Node.js. The
// plugin gives pg the Node.js branch of that module directly: a plain socket,
// and tls.connect for TLS.
export const pgNodeStreams = {
  name: 'pg-node-streams',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, () => ({
      loader: 'js',
      contents: [
        "'use strict'",
        'module.exports = {',
        "  getStream: () => new (require('net').Socket)(),",
        "  getSecureStream: (options) => require('tls').connect(options),",
        '}',
      ].join('\n'),
    }));
  },
};
