// Entry for running the CLI from source (tests spawn `node --import tsx main/node/cli/run.ts ...`).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
