#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
'use strict';
const path = require('path');
const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
try {
  require.resolve(main);
} catch {
  process.stderr.write('meshwright: not built yet; run `npm run build` first\n');
  process.exit(1);
}
require(main).main(process.argv.slice(2));
