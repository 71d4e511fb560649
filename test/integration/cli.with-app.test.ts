// test/integration/cli.test.ts again with the app running: every token command meets a
// `tokentray serve` for its config directory and goes through its socket (test/support/cli.ts,
// WITH_APP). The assertions are the file's own; where the app rightly answers otherwise, it says so.
process.env.TOKENTRAY_TEST_WITH_APP = '1';
await import('./cli.test.js');
