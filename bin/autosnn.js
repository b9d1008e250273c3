#!/usr/bin/env node
// The `autosnn` command: runs the compiled CLI (make build writes dist/).
import('../dist/src/cli/main.js').then(
  (cli) => cli.main(process.argv.slice(2)).then((code) => process.exit(code)),
  (error) => {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND' && /dist[\\/]src[\\/]cli[\\/]main\.js/.test(error.message)) {
      console.error('autosnn: the project is not built yet: run `make build` (or `make setup build`)');
    } else if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
      console.error(`autosnn: a dependency is missing (run \`npm ci\`): ${error.message}`);
    } else {
      console.error(error);
    }
    process.exit(1);
  },
);
