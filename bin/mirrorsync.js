#!/usr/bin/env node
// The bundled CLI lives in dist/bundle/; `npm run build` (or the test and demo scripts) makes it.
import '../dist/bundle/index.js';
