// One profile's card (docs/desktop.md) as plain DOM rather than a component. A card is a
// clone of one template, filled with textContent and attributes (never markup built from a status),
// and holds only the few elements that follow the clock. A status change writes the card again; a
// tick of the clock writes only what it shows in seconds, and only where the text changed. With
// Preact each card cost about 17 KB of heap and a millisecond of script to render; as a clone it
// costs a small fraction of either, so 200 cards render in one frame and 1,000 in a few.
//
// The pattern is the list renderer of VS Code's list widget: one template, a render that fills it,
// and event handling delegated to the list (card-list.ts), so a card holds no listeners.
import type { ErrorInfo, ProfileState, ProfileStatus, SinkStatus } from '../../../common/contract.js';
import { PROVIDERS } from '../../../common/providers.js';
import { writeText } from '../clock.js';
import { displayState, formatDuration, hasUsableToken, formatLocalTime, formatRelative, lifetimeLeft, STATE_LABELS, wholeSecond } from '../format.js';
import { routeHref } from '../router.js';

/** What a card's buttons ask for: `data-action` on each, read by the list's one click listener. */
export type CardAction = 'copy-token' | 'copy-header' | 'copy-curl' | 'refresh' | 'pause' | 'delete';

// The card's fixed markup: no status data in it, so it is parsed once and cloned, with what most
// cards show already in place (a fresh state, buttons idle). Every class and role is what the
// component version rendered (the stylesheet, the tests and axe rely on them).
const MARKUP = `<article>
<header class="profile-head"><span class="mark" role="img"><span aria-hidden="true"></span></span>
<div class="profile-title"><h2 tabindex="-1"></h2><span class="muted small"></span></div>
<span class="badge state-fresh" data-state="fresh"><span class="badge-dot" aria-hidden="true"></span>${STATE_LABELS.fresh}</span></header>
<div class="lifetime"><div class="lifetime-text"><span class="countdown" data-testid="countdown"></span><span class="muted small"></span></div>
<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"><div></div></div></div>
<dl class="facts"><div><dt>Last refresh</dt><dd><span class="relative-time"></span></dd></div><div><dt>Next refresh</dt><dd><span class="relative-time"></span></dd></div><div><dt>Token requests</dt><dd></dd></div></dl>
<div class="actions" role="group"><div class="action-group"><button type="button" class="button" data-action="copy-token">Copy token</button><button type="button" class="button" data-action="copy-header">Copy header</button><button type="button" class="button" data-action="copy-curl">Copy curl</button></div>
<div class="action-group"><button type="button" class="button" data-action="refresh">Refresh now</button><button type="button" class="button" data-action="pause">Pause</button><a class="button">Inspect token</a><a class="button">Use from an OAuth client</a><a class="button">Edit</a><a class="button">Activity</a><button type="button" class="button danger-quiet" data-action="delete">Delete</button></div></div>
</article>`.replace(/\n/g, '');

let template: HTMLLIElement | null = null;

function cloneTemplate(): HTMLLIElement {
  if (!template) {
    template = document.createElement('li');
    template.innerHTML = MARKUP;
  }
  return template.cloneNode(true) as HTMLLIElement;
}

const child = (element: Element, index: number): HTMLElement => element.children[index] as HTMLElement;

/** The lifetime as shown: text, bar value and position (the fill slides under the bar's rounded clip). */
interface LifetimeReading {
  text: string;
  percent: number;
  transform: string;
  fillClass: string;
}

function readLifetime(status: ProfileStatus, now: number): LifetimeReading {
  const left = lifetimeLeft(status, now);
  const expiresAt = status.expiresAt ? Date.parse(status.expiresAt) : null;
  const validUntil = status.validUntil ? Date.parse(status.validUntil) : null;
  let text: string;
  if (expiresAt === null) text = status.state === 'refreshing' ? 'Requesting a token…' : 'No token yet';
  else if (expiresAt <= now) text = `Expired ${formatDuration(wholeSecond(now) - wholeSecond(expiresAt))} ago`;
  // In its last seconds the engine no longer hands a token out: say so rather than count down to a token nobody gets.
  else if (validUntil !== null && validUntil <= now) text = `No longer handed out (expires in ${formatDuration(wholeSecond(expiresAt) - wholeSecond(now))})`;
  else text = `Expires in ${formatDuration(wholeSecond(expiresAt) - wholeSecond(now))}`;
  const percent = left === null ? 0 : Math.round(left * 100);
  const level = left === null ? 'none' : left > 0.25 ? 'ok' : left > 0 ? 'low' : 'none';
  return {
    text,
    percent,
    transform: `translateX(-${((1 - (left ?? 0)) * 100).toFixed(2)}%)`,
    fillClass: `bar-fill level-${level}`,
  };
}

/** A time relative to now in its own span, rewritten by ticks only when its text changes. */
class Relative {
  private shown = '';
  constructor(
    readonly element: HTMLElement,
    private readonly iso: string | null | undefined,
  ) {}

  tick(now: number): void {
    const text = formatRelative(this.iso, now);
    if (text === this.shown) return;
    this.shown = text;
    writeText(this.element, text);
  }
}

function relativeSpan(iso: string | null | undefined): Relative {
  const span = document.createElement('span');
  span.className = 'relative-time';
  return new Relative(span, iso);
}

/** The DOM twin of bits.tsx's ErrorNote: the message with its title, and the hint when there is one. */
export function errorNote(error: ErrorInfo, title: string): HTMLElement {
  const note = document.createElement('div');
  note.className = 'error-note';
  note.setAttribute('role', 'note');
  const message = note.appendChild(document.createElement('p'));
  message.className = 'error-message';
  message.appendChild(document.createElement('strong')).textContent = `${title} `;
  message.append(error.message);
  if (error.hint) {
    const hint = note.appendChild(document.createElement('p'));
    hint.className = 'error-hint';
    const label = hint.appendChild(document.createElement('span'));
    label.className = 'hint-label';
    label.textContent = 'What to do: ';
    hint.append(error.hint);
  }
  return note;
}

/**
 * The profile's token files (docs/sinks.md): path, format and mode, when each was last written, or
 * why it is not there (refused folder, removed at expiry, a hook's failure), in the keeper's words.
 */
function sinksBlock(sinks: readonly SinkStatus[], times: Relative[]): HTMLElement {
  const block = document.createElement('div');
  block.className = 'sinks';
  block.dataset.testid = 'sinks';
  const list = block.appendChild(document.createElement('ul'));
  list.setAttribute('aria-label', 'Token files');
  for (const sink of sinks) {
    const item = list.appendChild(document.createElement('li'));
    item.dataset.present = String(sink.present);
    item.appendChild(document.createElement('code')).textContent = sink.path;
    item.append(` ${sink.format}, ${sink.mode} · `);
    const state = item.appendChild(document.createElement('span'));
    if (sink.present) state.append('written ');
    else state.append(`not written: ${sink.reason ?? 'waiting for a token'}`, sink.writtenAt ? '; last written ' : '');
    if (sink.writtenAt) {
      const relative = relativeSpan(sink.writtenAt);
      relative.element.title = formatLocalTime(sink.writtenAt);
      state.append(relative.element);
      times.push(relative);
    }
    if (sink.hook) item.appendChild(document.createElement('span')).textContent = ` · hook: ${sink.hook}`;
  }
  return block;
}

/** The parts of a card that a status or the clock writes, found once by the template's structure. */
interface CardParts {
  article: HTMLElement;
  mark: HTMLElement;
  title: HTMLElement;
  idLine: HTMLElement;
  badge: HTMLElement;
  countdown: HTMLElement;
  expiry: HTMLElement;
  bar: HTMLElement;
  fill: HTMLElement;
  facts: HTMLElement;
  actions: HTMLElement;
}

function partsOf(li: HTMLLIElement): CardParts {
  const article = child(li, 0);
  const [head, lifetime, facts, actions] = article.children as unknown as [HTMLElement, HTMLElement, HTMLElement, HTMLElement];
  const titles = child(head, 1);
  const lifetimeText = child(lifetime, 0);
  const bar = child(lifetime, 1);
  return {
    article,
    mark: child(head, 0),
    title: child(titles, 0),
    idLine: child(titles, 1),
    badge: child(head, 2),
    countdown: child(lifetimeText, 0),
    expiry: child(lifetimeText, 1),
    bar,
    fill: child(bar, 0),
    facts,
    actions,
  };
}

export class ProfileCard {
  readonly element: HTMLLIElement;
  /** The status last written; the list compares by identity, as the store replaces what changed. */
  status: ProfileStatus;
  private state: ProfileState;
  /** Whether a token can be copied now (hasUsableToken); the copy buttons follow it. */
  private usable = true;
  private busy: string | null = null;
  private actionError: { action: string; error: ErrorInfo } | null = null;
  private readonly parts: CardParts;
  private reading: LifetimeReading | null = null;
  private times: Relative[] = [];

  constructor(status: ProfileStatus, now: number) {
    const li = cloneTemplate();
    const parts = partsOf(li);
    this.element = li;
    this.parts = parts;
    const { id } = status;
    const titleId = `profile-title-${id}`;
    const countdownId = `profile-countdown-${id}`;
    li.setAttribute('data-profile-id', id);
    parts.article.setAttribute('aria-labelledby', titleId);
    parts.title.id = titleId;
    parts.countdown.id = countdownId;
    parts.bar.setAttribute('aria-labelledby', countdownId);
    const links = parts.actions.lastElementChild?.getElementsByTagName('a') ?? [];
    const views = ['inspect', 'relay', 'edit'] as const;
    views.forEach((view, i) => ((links[i] as HTMLAnchorElement).href = routeHref({ view, id })));
    (links[3] as HTMLAnchorElement).href = routeHref({ view: 'activity', profile: id });
    this.status = status;
    this.state = displayState(status, now);
    this.write(status, null, now);
  }

  get id(): string {
    return this.status.id;
  }

  get name(): string {
    return this.status.name;
  }

  /** Writes a new status into the card: only what differs from the one before. */
  update(status: ProfileStatus, now: number): void {
    const before = this.status;
    this.status = status;
    this.state = displayState(status, now);
    this.write(status, before, now);
  }

  /**
   * A tick of the clock: the countdown, the bar and the relative times, each written only if it
   * changed. The one moment the clock changes a card's state, its token expiring, writes it again.
   */
  tick(now: number): void {
    const state = displayState(this.status, now);
    if (state !== this.state) {
      this.state = state;
      this.writeState();
    }
    const usable = hasUsableToken(this.status, now);
    if (usable !== this.usable) {
      this.usable = usable;
      this.writeButtons();
    }
    this.writeLifetime(now);
    for (const time of this.times) time.tick(now);
  }

  /** An action in flight disables the card's buttons (one at a time, as before). */
  setBusy(action: string | null): void {
    this.busy = action;
    this.writeButtons();
  }

  showActionError(failure: { action: string; error: ErrorInfo } | null): void {
    this.actionError = failure;
    this.writeActionError();
  }

  /** Writes `status`; `before` is what the card shows now (null: a fresh clone of the template). */
  private write(status: ProfileStatus, before: ProfileStatus | null, now: number): void {
    const { parts } = this;
    const spec = PROVIDERS[status.provider];
    if (status.provider !== before?.provider) {
      parts.mark.className = `mark mark-${status.provider}`;
      parts.mark.title = spec.label;
      parts.mark.setAttribute('aria-label', spec.label);
      writeText(parts.mark.firstElementChild, spec.mark);
    }
    if (status.name !== before?.name) {
      writeText(parts.title, status.name);
      parts.actions.setAttribute('aria-label', `Actions for ${status.name}`);
    }
    writeText(parts.idLine, `${status.id} · ${spec.label}`);
    this.writeState();

    if (status.expiresAt !== before?.expiresAt) {
      const localExpiry = status.expiresAt ? formatLocalTime(status.expiresAt) : null;
      if (localExpiry === null) parts.expiry.remove();
      else {
        writeText(parts.expiry, localExpiry);
        if (!parts.expiry.isConnected) parts.countdown.after(parts.expiry);
      }
    }
    this.reading = null;
    this.writeLifetime(now);

    const [last, next, requests] = parts.facts.getElementsByTagName('dd') as unknown as [HTMLElement, HTMLElement, HTMLElement];
    const paused = status.state === 'paused';
    last.title = formatLocalTime(status.lastRefreshAt);
    next.title = formatLocalTime(status.nextRefreshAt);
    const times: Relative[] = [new Relative(last.firstElementChild as HTMLElement, status.lastRefreshAt)];
    if (paused) next.textContent = 'paused';
    else {
      let span = next.firstElementChild as HTMLElement | null;
      if (!span) {
        span = document.createElement('span');
        span.className = 'relative-time';
        next.replaceChildren(span);
      }
      times.push(new Relative(span, status.nextRefreshAt));
    }
    // With a shared cache the counts are the fleet's (SPEC section 8); a shared-only profile says so.
    const counted = `${status.requestsLastHour} in the last hour, ${status.requestsLastDay} today${status.fleet === undefined ? '' : ', whole fleet'}`;
    writeText(requests, status.sharedOnly === true ? `${counted} (shared-only: reads the fleet's token)` : counted);

    if (before?.lastError) parts.article.querySelector(':scope > [data-testid="last-error"]')?.remove();
    if (status.lastError) {
      const block = document.createElement('div');
      block.className = 'last-error';
      block.dataset.testid = 'last-error';
      block.append(errorNote(status.lastError, 'Last error:'));
      if (status.lastError.at) {
        const when = block.appendChild(document.createElement('p'));
        when.className = 'muted small';
        const relative = relativeSpan(status.lastError.at);
        when.append(relative.element);
        times.push(relative);
      }
      parts.facts.after(block);
    }
    if (before?.sinks?.length) parts.article.querySelector(':scope > [data-testid="sinks"]')?.remove();
    if (status.sinks?.length) parts.facts.after(sinksBlock(status.sinks, times));
    this.times = times;
    for (const time of times) time.tick(now);

    if (before !== null) this.writeActionError();
    // The template's buttons are all enabled: a new card rewrites them only when that is wrong.
    this.usable = hasUsableToken(status, now);
    if (before !== null || paused || !this.usable) this.writeButtons();
  }

  /** The state in words and colour: the card's edge, its data-state and the badge. */
  private writeState(): void {
    const { state, element } = this;
    const edge = `profile card state-edge-${state}`;
    if (element.className === edge) return;
    element.className = edge;
    element.setAttribute('data-state', state);
    const { badge } = this.parts;
    badge.className = `badge state-${state}`;
    badge.setAttribute('data-state', state);
    (badge.lastChild as Text).nodeValue = STATE_LABELS[state];
  }

  private writeLifetime(now: number): void {
    const reading = readLifetime(this.status, now);
    const last = this.reading;
    const { countdown, bar, fill } = this.parts;
    this.reading = reading;
    if (reading.text !== last?.text) writeText(countdown, reading.text);
    if (reading.percent !== last?.percent) {
      bar.setAttribute('aria-valuenow', String(reading.percent));
      bar.setAttribute('aria-valuetext', `${reading.percent}% of the token lifetime left`);
    }
    // Compared with what was last written, never read back: reading an inline style serializes it.
    if (reading.transform !== last?.transform) fill.style.transform = reading.transform;
    if (reading.fillClass !== last?.fillClass) fill.className = reading.fillClass;
  }

  private writeButtons(): void {
    const paused = this.status.state === 'paused';
    for (const button of this.parts.actions.getElementsByTagName('button')) {
      const action = button.getAttribute('data-action') as CardAction;
      const copy = action === 'copy-token' || action === 'copy-header' || action === 'copy-curl';
      button.disabled = this.busy !== null || (action === 'refresh' && paused) || (copy && !this.usable);
      if (action === 'refresh') writeText(button, this.busy === 'Refresh' ? 'Refreshing…' : 'Refresh now');
      if (action === 'pause') writeText(button, paused ? 'Resume' : 'Pause');
    }
  }

  /** An action's failure, unless it says what the last error already says. */
  private writeActionError(): void {
    const { article, actions } = this.parts;
    article.querySelector(':scope > [role="alert"]')?.remove();
    const failure = this.actionError;
    if (!failure || failure.error.message === this.status.lastError?.message) return;
    const alert = document.createElement('div');
    alert.setAttribute('role', 'alert');
    alert.append(errorNote(failure.error, `${failure.action} failed:`));
    article.insertBefore(alert, actions);
  }
}
