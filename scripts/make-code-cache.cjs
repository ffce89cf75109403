// Makes the bundle's code cache in a node started as bin/mirrorsync.js is usually started (no
// options): V8 records the flags a cache was made under, and the file's name carries node's
// options, so a cache made inside a build run under NODE_OPTIONS would serve no usual start.
'use strict';
const { resolve } = require('node:path');

const written = require('../dist/bundle/boot.cjs').makeCodeCache(resolve(process.argv[2] ?? ''));
if (written === undefined) process.exit(1);
