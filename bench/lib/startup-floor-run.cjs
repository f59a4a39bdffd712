'use strict';
// Runs the start-up floor's bundle (bench/lib/startup-floor.cjs) as
// bin/schemaguard.cjs runs the CLI's: through bin/code-cache.cjs on Node.js
// before 22.8, with Node.js's own compile cache from 22.8.
//   node bench/lib/startup-floor-run.cjs BUNDLE URL DIR
const { enableCompileCache } = require('node:module');

enableCompileCache?.();
const [bundle] = process.argv.splice(2, 1);
if (enableCompileCache) require(bundle);
else require('../../bin/code-cache.cjs').runBundle(bundle);
