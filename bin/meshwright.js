#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
'use strict';
const path = require('path');
// Node 24 is the runtime (package.json engines); older ones fail deep inside undici, so say it first.
if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(
    `meshwright: Node 24 or newer is required, this is ${process.version}; ` +
      'run it as `hack/node.sh npx meshwright ...` or put Node 24 first on PATH (docs/runtime.md)\n',
  );
  process.exit(1);
}
const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
try {
  require.resolve(main);
} catch {
  process.stderr.write('meshwright: not built yet; run `npm run build` first\n');
  process.exit(1);
}
require(main).main(process.argv.slice(2));
