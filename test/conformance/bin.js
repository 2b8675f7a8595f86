#!/usr/bin/env node
// Entry point of `npm run conformance -- DIR`: compiles the TypeScript runner and the project sources on
// the fly with @swc/core (already a dev dependency), so no build step and no ts-node are needed.
/* global require, process */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry point that installs the .ts loader */
'use strict';
const fs = require('node:fs');
const swc = require('@swc/core');

const options = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};

require('./main.ts')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`conformance: ${err && err.stack ? err.stack : String(err)}\n`);
      process.exitCode = 2;
    },
  );
