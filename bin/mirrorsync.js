#!/usr/bin/env node
// The built CLI lives in dist/; `npm run build` (or the test and demo scripts) produces it.
import '../dist/src/cli/index.js';
