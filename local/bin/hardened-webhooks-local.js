#!/usr/bin/env node
// The package's bin: a committed file, so npm links it at install time even before the CLI is
// compiled (in a clone, `npm run build` compiles it into dist/).
'use strict';
require('../dist/local/cli/main.js').main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
