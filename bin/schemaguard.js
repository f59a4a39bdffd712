#!/usr/bin/env node
// `node bin/schemaguard.js …` as before: the executable is bin/schemaguard.cjs
// (CommonJS, which Node.js starts faster); this runs it.
import './schemaguard.cjs';
