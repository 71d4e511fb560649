// A test hook, only under an explicit flag: `node --import ./test/support/module-recorder.mjs` with
// TOKENTRAY_TEST_MODULE_LOG=FILE appends the URL of every module the process loads to FILE, so a test
// can prove which code a CLI run loaded (cli-socket.test.ts: the fast path loads no engine, commander,
// zod or keytar). Without the variable it does nothing.
import { register } from 'node:module';

const log = process.env.TOKENTRAY_TEST_MODULE_LOG;
if (log) register('./module-recorder-hooks.mjs', import.meta.url, { data: { log } });
