/** Runs the CLI from source (`node --import tsx extension/cli/entry.ts …`), as bin/ runs dist/cli.js. */
import { main } from './main';
import { errorText } from '../shared/errors';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`training-dynamics: ${errorText(err)}\n`);
    process.exitCode = 1;
  },
);
