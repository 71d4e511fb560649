// Request bodies are read with a bound: the API is local, but a runaway client must not be able to
// make the app hold an unbounded buffer.
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
