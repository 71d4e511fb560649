// GET /v1/events: server-sent events of the engine's changes (docs/http-api.md), filtered to what the
// caller may see, with a comment heartbeat so idle proxies and sockets do not drop the stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineEvent } from '../../../common/contract.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { Engine } from '../types.js';
import { BASE_HEADERS } from './problem.js';

export interface EventStreamOptions {
  engine: Engine;
  clock: Clock;
  heartbeatMs: number;
  /** A slow reader that lets this much pile up is cut off rather than buffered without end. */
  maxBufferedBytes: number;
}

/** Null means every profile (an unlimited key or the dashboard session). */
export function eventVisible(event: EngineEvent, profiles: readonly string[] | null): boolean {
  if (profiles === null) return true;
  switch (event.type) {
    case 'profile':
      return profiles.includes(event.status.id);
    case 'profile-removed':
      return profiles.includes(event.id);
    case 'activity':
      return event.entry.profileId !== undefined && profiles.includes(event.entry.profileId);
    case 'settings':
      return false;
  }
}

export class EventStreams {
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly options: EventStreamOptions) {}

  get size(): number {
    return this.open.size;
  }

  attach(req: IncomingMessage, res: ServerResponse, profiles: readonly string[] | null): void {
    const { engine, clock } = this.options;
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(': tokentray events\nretry: 3000\n\n');
    req.socket.setNoDelay(true);
    this.open.add(res);

    const write = (text: string): void => {
      // Ended by a revocation (revocation.ts): 'close' and the unsubscribe come a moment later.
      if (res.writableEnded) return;
      if (res.writableLength > this.options.maxBufferedBytes) {
        res.destroy();
        return;
      }
      res.write(text);
    };
    const unsubscribe = engine.onDidEmit((event) => {
      if (eventVisible(event, profiles)) write(`data: ${JSON.stringify(event)}\n\n`);
    });
    let timer: TimerHandle | undefined;
    const beat = (): void => {
      write(': heartbeat\n\n');
      timer = clock.setTimeout(beat, this.options.heartbeatMs);
    };
    timer = clock.setTimeout(beat, this.options.heartbeatMs);
    res.once('close', () => {
      unsubscribe();
      if (timer !== undefined) clock.clearTimeout(timer);
      this.open.delete(res);
    });
  }

  /** Ends every stream (server shutdown), so close() does not wait for clients to hang up. */
  closeAll(): void {
    for (const res of this.open) res.end();
    this.open.clear();
  }
}
