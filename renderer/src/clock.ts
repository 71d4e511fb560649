// The page's clock. Countdowns and relative times are computed locally from the status's ISO times,
// so the server is never polled (issue #6: "without polling"); what ticks is kept to the few text
// leaves that show seconds (issue 16: a dashboard that costs nothing while it waits).
//
// - A reading changes when `time - now` crosses a whole second, and that moment has the phase of
//   `time` within the second, which differs from token to token. So each subscriber names its
//   phase, and the clock wakes at the end of the phase's slot (SLOTS per second): a countdown is
//   at most one slot late, and the page wakes at most SLOTS times a second, however many profiles.
// - Subscribers of one slot share one reading and run in one timer task: text leaves write their
//   DOM text directly (useTick), components that need a render re-render together (useNow).
// - Nothing ticks while the page is hidden (document.visibilityState; in the Electron app a hidden
//   or minimised window reports 'hidden' too, as backgroundThrottling is left on); on return every
//   subscriber gets a fresh reading at once.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';

const SLOTS = 1;
const SLOT_MS = 1000 / SLOTS;
/** Timers may fire a millisecond early or Date.now() round down: wake just past the slot's end. */
const MARGIN_MS = 2;
/** setTimeout holds at most a signed 32-bit delay. */
const MAX_DELAY_MS = 2_147_483_647;

interface Slot {
  readonly index: number;
  readonly listeners: Set<() => void>;
  /** The reading its subscribers render with; only changes on a tick. */
  now: number;
  timer: ReturnType<typeof setTimeout> | null;
  /** One function per slot, so React never sees a new subscribe and resubscribes on each render. */
  readonly subscribe: (listener: () => void) => () => void;
}

const slots: Slot[] = Array.from({ length: SLOTS }, (_, index) => {
  const slot: Slot = { index, listeners: new Set(), now: Date.now(), timer: null, subscribe: (l) => subscribe(slot, l) };
  return slot;
});

const visible = (): boolean => typeof document === 'undefined' || document.visibilityState !== 'hidden';

function slotOf(phaseMs: number): Slot {
  const within = ((Math.floor(phaseMs) % 1000) + 1000) % 1000;
  return slots[Math.floor(within / SLOT_MS)] as Slot;
}

function schedule(slot: Slot): void {
  if (slot.timer !== null || slot.listeners.size === 0 || !visible()) return;
  const now = Date.now();
  const end = (slot.index + 1) * SLOT_MS + MARGIN_MS;
  let delay = (end - (now % 1000) + 1000) % 1000;
  if (delay < SLOT_MS / 2) delay += 1000; // just served (a timer that fired early): next second
  slot.timer = setTimeout(() => {
    slot.timer = null;
    tick(slot);
  }, delay);
}

function tick(slot: Slot): void {
  slot.now = Date.now();
  for (const listener of [...slot.listeners]) listener();
  schedule(slot);
}

function onVisibility(): void {
  for (const slot of slots) {
    if (visible()) {
      if (slot.listeners.size > 0 && slot.timer === null) tick(slot);
    } else if (slot.timer !== null) {
      clearTimeout(slot.timer);
      slot.timer = null;
    }
  }
}

let watching = false;
function watchVisibility(): void {
  if (watching || typeof document === 'undefined') return;
  watching = true;
  document.addEventListener('visibilitychange', onVisibility);
}

/**
 * Calls `listener` each second just after the moment a reading of `phaseMs` (any time whose
 * milliseconds are the phase) turns over, while the page is visible. Returns the unsubscribe.
 */
export function onDidTick(phaseMs: number, listener: () => void): () => void {
  return subscribe(slotOf(phaseMs), listener);
}

function subscribe(slot: Slot, listener: () => void): () => void {
  watchVisibility();
  if (slot.listeners.size === 0) slot.now = Date.now();
  slot.listeners.add(listener);
  schedule(slot);
  return () => {
    slot.listeners.delete(listener);
    if (slot.listeners.size === 0 && slot.timer !== null) {
      clearTimeout(slot.timer);
      slot.timer = null;
    }
  };
}

/** How many slots have a timer waiting; 0 while the page is hidden or nothing shows seconds. */
export function pendingTicks(): number {
  return slots.filter((slot) => slot.timer !== null).length;
}

/**
 * Calls `update(now)` on each tick of `phaseMs` while the component is mounted, without rendering
 * it: for text that changes every second (a countdown), written straight into the element the
 * component rendered. React renders the same text from the clock whenever it renders the
 * component for another reason, so the two never disagree for longer than a tick.
 */
export function useTick(phaseMs: number, update: (now: number) => void): void {
  const latest = useRef(update);
  latest.current = update;
  useEffect(() => onDidTick(phaseMs, () => latest.current(Date.now())), [phaseMs]);
}

/**
 * Sets an element's text only when it changed, so an unchanged reading touches nothing; a change
 * edits the text node in place rather than replacing it.
 */
export function writeText(element: Element | null, text: string): void {
  const node = element?.firstChild;
  if (node && node.nodeType === 3 && node === element.lastChild) {
    if (node.nodeValue !== text) node.nodeValue = text;
  } else if (element && element.textContent !== text) {
    element.textContent = text;
  }
}

/**
 * The current time in ms, updated once a second, just after readings of `phaseMs` turn over
 * (pass the time being counted to or from, so its seconds are right). Only the component that
 * calls it re-renders.
 */
export function useNow(phaseMs = 0): number {
  const slot = slotOf(phaseMs);
  return useSyncExternalStore(slot.subscribe, () => slot.now);
}

// Moments to wake at (a token's expiry), kept in one list under one timer for the soonest, so a
// thousand cards do not hold a thousand timers.
const moments = new Set<{ at: number; listener: () => void }>();
let momentTimer: ReturnType<typeof setTimeout> | null = null;
let soonest = Number.POSITIVE_INFINITY;

function scheduleMoments(): void {
  if (momentTimer !== null) clearTimeout(momentTimer);
  momentTimer = null;
  soonest = Number.POSITIVE_INFINITY;
  for (const moment of moments) soonest = Math.min(soonest, moment.at);
  if (soonest === Number.POSITIVE_INFINITY) return;
  momentTimer = setTimeout(fireMoments, Math.min(Math.max(0, soonest - Date.now() + MARGIN_MS), MAX_DELAY_MS));
}

function fireMoments(): void {
  momentTimer = null;
  const now = Date.now();
  const due = [...moments].filter((moment) => moment.at <= now);
  for (const moment of due) moments.delete(moment);
  scheduleMoments();
  for (const moment of due) moment.listener();
}

/** Calls `listener` once when the clock reaches `atMs`. Returns the cancel function. */
export function onDidReach(atMs: number, listener: () => void): () => void {
  const moment = { at: atMs, listener };
  moments.add(moment);
  // A moment later than the soonest needs no new timer.
  if (atMs < soonest) scheduleMoments();
  return () => {
    if (moments.delete(moment) && moments.size === 0) scheduleMoments();
  };
}

/**
 * True once the clock has reached `atMs`: woken at that moment, not by a tick every second, so a
 * card re-renders when its token expires and at no other time.
 */
export function useReached(atMs: number | null): boolean {
  const [, setReached] = useState(0);
  const reached = atMs !== null && Date.now() >= atMs;
  useEffect(() => {
    if (atMs === null || Date.now() >= atMs) return;
    return onDidReach(atMs, () => setReached((n) => n + 1));
  }, [atMs]);
  return reached;
}
