#!/usr/bin/env node
// The bundled CLI lives in dist/bundle/; `npm run build` (or the test and demo scripts) makes it.
// CommonJS (bin/package.json), like the bundle: an ES module entry costs every run node's ESM
// loader, which a no-op never needs.
'use strict';
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundleDir = join(root, 'dist', 'bundle');
const bundle = join(bundleDir, 'mirrorsync.cjs');

function noBuild() {
  process.stderr.write(`mirrorsync: ${bundleDir} holds no build: run \`npm run build\` in ${root}\n`);
  process.exit(70);
}

let boot;
try {
  ({ boot } = require(join(bundleDir, 'boot.cjs')));
} catch (error) {
  if (error !== null && typeof error === 'object' && error.code === 'MODULE_NOT_FOUND') noBuild();
  throw error;
}
if (typeof boot !== 'function') noBuild();
try {
  boot(bundle);
} catch (error) {
  if (error !== null && typeof error === 'object' && error.code === 'ENOENT' && error.path === bundle) noBuild();
  throw error;
}
