// Request bodies are read with a bound: the API is local, but a runaway client must not be able to
// make the app hold an unbounded buffer.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { HttpProblem } from './problem.js';

export interface PartialBody {
  chunks: Buffer[];
  size: number;
  /** True when the whole body fit; false when it was cut at the limit and the rest is unread. */
  ended: boolean;
}

/** Reads until the body ends or exceeds `limit` bytes; on overflow the stream is left paused. */
export function bufferUpTo(stream: Readable, limit: number): Promise<PartialBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        stream.pause();
        cleanup();
        resolve({ chunks, size, ended: false });
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ chunks, size, ended: true });
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new HttpProblem(400, 'usage', 'The request body ended early.'));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/** The whole body, or a 413 problem when it is larger than `limit`. */
export async function readBody(stream: Readable, limit: number): Promise<Buffer> {
  const body = await bufferUpTo(stream, limit);
  if (!body.ended) {
    throw new HttpProblem(413, 'usage', `The request body is larger than ${limit} bytes.`);
  }
  return Buffer.concat(body.chunks, body.size);
}

/** A JSON request body (the RPC and the login): application/json only, bounded, parsed; undefined when empty. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  // Only JSON: an HTML form cannot send it, which closes the classic cross-site form post.
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpProblem(415, 'usage', 'The request body must be application/json.');
  }
  const body = await readBody(req, limit);
  try {
    return body.length === 0 ? undefined : (JSON.parse(body.toString('utf8')) as unknown);
  } catch {
    throw new HttpProblem(400, 'usage', 'The request body is not valid JSON.');
  }
}
