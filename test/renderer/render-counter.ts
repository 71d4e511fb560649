// Counts the components the dashboard renders, through the hook Preact's own DevTools and hooks use:
// `options._render` (`__r` in the built files) runs just before a component's render function, and
// a memo'd component that bails out never reaches it. Import it after setup-dom.js.
import { options } from 'preact';

interface RenderOptions {
  __r?: (vnode: { type: unknown }) => void;
}

const counts = new Map<string, number>();
const hooks = options as unknown as RenderOptions;
const previous = hooks.__r;

hooks.__r = (vnode) => {
  previous?.(vnode);
  const name = typeof vnode.type === 'function' ? (vnode.type as { name?: string }).name : undefined;
  if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
};

/** Renders per component name since the last reset. */
export function renders(): Record<string, number> {
  return Object.fromEntries(counts);
}

export function resetRenders(): void {
  counts.clear();
}
