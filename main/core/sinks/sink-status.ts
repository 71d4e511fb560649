// The engine as `/v1/profiles`, the dashboard's RPC and its event stream see it when token files are
// kept: each profile's status carries its sinks (path, format, last written, or why not), and a sink
// that changes (written, removed, a hook ran) is told as a profile event of the same state, so a
// dashboard shows it without a reload. Everything else is the engine itself.
import type { EngineEvent, ProfileStatus } from '../../../common/contract.js';
import type { Engine, EngineStateEvent } from '../types.js';
import type { SinkKeeper } from './sink-keeper.js';

export function withSinkStatuses(engine: Engine, keeper: Pick<SinkKeeper, 'statusOf' | 'onDidChange'>): Engine {
  const decorate = (status: ProfileStatus): ProfileStatus => {
    const sinks = keeper.statusOf(status.id);
    return sinks === undefined ? status : { ...status, sinks };
  };
  const decorateEvent = <E extends EngineEvent>(event: E): E =>
    event.type === 'profile' ? { ...event, status: decorate(event.status) } : event;
  const sinkEvents = (listener: (event: EngineStateEvent) => void): (() => void) =>
    keeper.onDidChange((profileId) => {
      const status = engine.status(profileId);
      if (status !== undefined) listener({ type: 'profile', status: decorate(status), previous: status.state, recovered: false });
    });
  return {
    start: () => engine.start(),
    stop: () => engine.stop(),
    upsertProfile: async (profile, secrets) => decorate(await engine.upsertProfile(profile, secrets)),
    createProfile: (profile, secrets, options) => engine.createProfile(profile, secrets, options),
    addProfile: async (profile, secrets) => decorate(await engine.addProfile(profile, secrets)),
    removeProfile: (id) => engine.removeProfile(id),
    testProfile: (profile, secrets) => engine.testProfile(profile, secrets),
    getToken: (id, options) => engine.getToken(id, options),
    peekToken: (id, options) => engine.peekToken(id, options),
    refresh: (id, options) => engine.refresh(id, options),
    invalidate: (id) => engine.invalidate(id),
    noteApiAnswer: (id, error) => engine.noteApiAnswer(id, error),
    clientTls: (id) => engine.clientTls(id),
    setPaused: async (id, paused) => decorate(await engine.setPaused(id, paused)),
    status: (id) => {
      const status = engine.status(id);
      return status === undefined ? undefined : decorate(status);
    },
    statuses: () => engine.statuses().map(decorate),
    activity: () => engine.activity(),
    record: (entry) => engine.record(entry),
    reevaluate: () => engine.reevaluate(),
    onDidChangeState: (listener) => {
      const offEngine = engine.onDidChangeState((event) => listener(decorateEvent(event)));
      const offSinks = sinkEvents(listener);
      return () => {
        offEngine();
        offSinks();
      };
    },
    onDidRecordActivity: (listener) => engine.onDidRecordActivity(listener),
    onDidEmit: (listener) => {
      const offEngine = engine.onDidEmit((event) => listener(decorateEvent(event)));
      const offSinks = sinkEvents(listener);
      return () => {
        offEngine();
        offSinks();
      };
    },
  };
}
