// Entry for running the CLI from source (tests spawn `node --import tsx main/node/cli/run.ts ...`):
// the fast path first, then the full CLI, as bin/tokentray.js does over the build.
import { runFastPath } from './fast-path.js';

const argv = process.argv.slice(2);
const fast = await runFastPath(argv);
process.exitCode = fast ?? (await (await import('./main.js')).main(argv));
