#!/usr/bin/env node
// The bundled CLI lives in dist/bundle/; `npm run build` (or the test and demo scripts) makes it.
// CommonJS (bin/package.json), like the bundle: an ES module entry costs every run node's ESM
// loader, which a no-op never needs.
'use strict';
const { join } = require('node:path');

require('../dist/bundle/boot.cjs').boot(join(__dirname, '..', 'dist', 'bundle', 'mirrorsync.cjs'));
