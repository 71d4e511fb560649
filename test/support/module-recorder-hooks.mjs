// The loader hooks of module-recorder.mjs (they run on node's loader thread).
import { appendFileSync } from 'node:fs';

let log = null;

export function initialize(data) {
  log = data.log;
}

export async function load(url, context, nextLoad) {
  if (log !== null) appendFileSync(log, `${url}\n`);
  return nextLoad(url, context);
}
