// Reading a problem+json answer (RFC 9457, docs/http-api.md), once for every reader: the CLI's app
// client and the headless dashboard's bridge. Plain data with one import, so the dashboard's first
// script takes it without zod.
import { kindOfProblemType, type ErrorKind } from './errors.js';

export interface ProblemReading {
  kind: ErrorKind;
  message: string;
  hint?: string;
}

/**
 * The error a non-2xx answer stands for: its problem document's kind, detail (else title) and hint;
 * a body that is not one of ours falls back to the status (404: not_found, else internal).
 */
export function readProblem(body: unknown, status: number): ProblemReading {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const kind = kindOfProblemType(problem.type) ?? (status === 404 ? 'not_found' : 'internal');
  const message =
    typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : `Tokentray answered with HTTP ${status}.`;
  return typeof problem.hint === 'string' ? { kind, message, hint: problem.hint } : { kind, message };
}

/** readProblem of a body still in text; text that is not JSON is no problem document. */
export function readProblemText(text: string, status: number): ProblemReading {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return readProblem(body, status);
}
