// Epoch milliseconds as the contract's ISO 8601 text (docs/http-api.md: "2025-01-01T12:00:00.000Z").
// A refresh formats half a dozen times (the token's three times, the activity entry as the event and
// the file see it, the next refresh) and Date#toISOString goes through the runtime each time, so the
// date part is worked out once per day and the rest is put together here.
const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00.000Z: from there on toISOString writes a six-digit year with a sign. */
const YEAR_10000_MS = 253_402_300_800_000;
const ZERO = 48;
const COLON = 58;
const DOT = 46;
const Z = 90;

let cachedDay = Number.NaN;
/** The character codes of "YYYY-MM-DDT" for cachedDay. */
const date = new Uint8Array(11);

/** Exactly `new Date(at).toISOString()`, including its RangeError for a time that is not one. */
export function isoTime(at: number): string {
  // A Date drops the fraction of a millisecond (toward zero); the fast path covers 1970 to 9999.
  const ms = Math.trunc(at);
  if (!(ms >= 0 && ms < YEAR_10000_MS)) return new Date(at).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    const text = new Date(day * DAY_MS).toISOString();
    for (let i = 0; i < 11; i += 1) date[i] = text.charCodeAt(i);
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  rest -= seconds * 1000;
  // One call makes one flat string. Joining the parts with + made a tree of partial strings that
  // stayed behind every activity entry's detail: three times the heap of the flat text.
  return String.fromCharCode(
    date[0],
    date[1],
    date[2],
    date[3],
    date[4],
    date[5],
    date[6],
    date[7],
    date[8],
    date[9],
    date[10],
    ZERO + Math.floor(hours / 10),
    ZERO + (hours % 10),
    COLON,
    ZERO + Math.floor(minutes / 10),
    ZERO + (minutes % 10),
    COLON,
    ZERO + Math.floor(seconds / 10),
    ZERO + (seconds % 10),
    DOT,
    ZERO + Math.floor(rest / 100),
    ZERO + (Math.floor(rest / 10) % 10),
    ZERO + (rest % 10),
    Z,
  );
}
