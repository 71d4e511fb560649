// The page's clock. Countdowns and relative times are computed locally from the status's ISO times,
// so the server is never polled ("without polling"); what ticks is kept to the few text
// leaves that show seconds (a dashboard that costs nothing while it waits).
//
// - One tick a second for the whole page, just after the system clock's second turns over. Every
//   reading is taken in whole seconds of that clock (see format.ts), so a countdown turns over
//   together with the clock's seconds and agrees with the expiry time shown beside it. One tick
//   also means one frame a second: ticks at each token's own millisecond phase were measured at
//   3x the plain page's main-thread time with 200 profiles, as every wake-up costs a frame.
// - Subscribers share one reading and run in one timer task: text leaves write their DOM text
//   directly (useTick), components that need a render re-render together (useNow).
// - Nothing ticks while the page is hidden (document.visibilityState; in the Electron app a hidden
//   or minimised window reports 'hidden' too, as backgroundThrottling is left on); on return every
//   subscriber gets a fresh reading at once.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';

/** Timers may fire a millisecond early or Date.now() round down: wake just past the second. */
const MARGIN_MS = 2;
/** setTimeout holds at most a signed 32-bit delay. */
const MAX_DELAY_MS = 2_147_483_647;

const listeners = new Set<() => void>();
/** The reading subscribers render with; only changes on a tick. */
let current = Date.now();
let timer: ReturnType<typeof setTimeout> | null = null;

const visible = (): boolean => typeof document === 'undefined' || document.visibilityState !== 'hidden';

function schedule(): void {
  if (timer !== null || listeners.size === 0 || !visible()) return;
  let delay = 1000 - (Date.now() % 1000) + MARGIN_MS;
  if (delay > 1000) delay -= 1000; // woke a moment early: the second turns over in a few ms
  timer = setTimeout(tick, delay);
}

function tick(): void {
  timer = null;
  current = Date.now();
  for (const listener of [...listeners]) listener();
  schedule();
}

function onVisibility(): void {
  if (visible()) {
    if (listeners.size > 0 && timer === null) tick();
  } else if (timer !== null) {
    clearTimeout(timer);
    timer = null;
  }
}

let watching = false;

/** Calls `listener` just after each second turns over while the page is visible. Returns the unsubscribe. */
export function onDidTick(listener: () => void): () => void {
  if (!watching && typeof document !== 'undefined') {
    watching = true;
    document.addEventListener('visibilitychange', onVisibility);
  }
  if (listeners.size === 0) current = Date.now();
  listeners.add(listener);
  schedule();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  };
}

/** 1 while a tick is waiting, 0 while the page is hidden or nothing shows seconds. */
export function pendingTicks(): number {
  return timer === null ? 0 : 1;
}

/**
 * Calls `update(now)` on each tick while the component is mounted, without rendering
 * it: for text that changes every second (a countdown), written straight into the element the
 * component rendered. React renders the same text from the clock whenever it renders the
 * component for another reason, so the two never disagree for longer than a tick.
 */
export function useTick(update: (now: number) => void): void {
  const latest = useRef(update);
  latest.current = update;
  useEffect(() => onDidTick(() => latest.current(Date.now())), []);
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

/** The current time in ms, updated each tick. Only the component that calls it re-renders. */
export function useNow(): number {
  return useSyncExternalStore(onDidTick, () => current);
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
