// Counts the components React renders, through the hook React DevTools uses: react-dom reports every
// commit to it, and a fiber that rendered in that commit carries React's PerformedWork flag (the
// test React DevTools' own "highlight updates" makes). Import it after setup-dom.js and before
// anything that loads react-dom.
interface Fiber {
  type: unknown;
  flags: number;
  alternate: Fiber | null;
  child: Fiber | null;
  sibling: Fiber | null;
}

const PERFORMED_WORK = 1;
const counts = new Map<string, number>();

function walk(fiber: Fiber | null): void {
  for (let f = fiber; f; f = f.sibling) {
    const previous = f.alternate;
    const didRender = previous === null || (f.flags & PERFORMED_WORK) === PERFORMED_WORK;
    const name = typeof f.type === 'function' ? (f.type as { name?: string }).name : undefined;
    if (didRender && name) counts.set(name, (counts.get(name) ?? 0) + 1);
    // A subtree React did not visit keeps its old child fibers (and their old flags): skip it.
    if (previous === null || f.child !== previous.child) walk(f.child);
  }
}

(globalThis as Record<string, unknown>).__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
  supportsFiber: true,
  isDisabled: false,
  renderers: new Map(),
  inject: () => 1,
  checkDCE: () => {},
  onScheduleFiberRoot: () => {},
  onCommitFiberUnmount: () => {},
  onPostCommitFiberRoot: () => {},
  onCommitFiberRoot: (_id: number, root: { current: Fiber }) => walk(root.current.child),
};

/** Renders per component name since the last reset. */
export function renders(): Record<string, number> {
  return Object.fromEntries(counts);
}

export function resetRenders(): void {
  counts.clear();
}
