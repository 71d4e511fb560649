// Work in a task of its own: the browser's scheduler.postTask where there is one (it runs tasks by
// priority, so a 'user-blocking' one need not wait behind the page's loading tasks the way a 0 ms
// timer can), a timer elsewhere (jsdom, older engines).

type Priority = 'user-blocking' | 'user-visible';

interface Scheduler {
  postTask?: (work: () => void, options: { priority: Priority; signal: AbortSignal }) => Promise<unknown>;
}

/** Runs `work` in a task of its own, after the browser had its chance to paint; returns the cancel. */
export function postTask(work: () => void, priority: Priority): () => void {
  const { scheduler } = globalThis as { scheduler?: Scheduler };
  if (typeof scheduler?.postTask === 'function') {
    const controller = new AbortController();
    scheduler.postTask(work, { priority, signal: controller.signal }).catch(() => {});
    return () => controller.abort();
  }
  const timer = setTimeout(work, 0);
  return () => clearTimeout(timer);
}
