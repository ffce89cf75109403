#!/usr/bin/env node
// The bundled CLI lives in dist/bundle/; `npm run build` (or the test and demo scripts) makes it.
// CommonJS (bin/package.json), like the bundle: an ES module entry costs every run node's ESM
// loader, which a no-op never needs.
'use strict';
const { join } = require('node:path');

const bundleDir = join(__dirname, '..', 'dist', 'bundle');
let boot;
try {
  ({ boot } = require(join(bundleDir, 'boot.cjs')));
} catch (error) {
  if (error === null || typeof error !== 'object' || error.code !== 'MODULE_NOT_FOUND') throw error;
  process.stderr.write(`mirrorsync: ${bundleDir} holds no build: run \`npm run build\` in ${join(__dirname, '..')}\n`);
  process.exit(70);
}
boot(join(bundleDir, 'mirrorsync.cjs'));
