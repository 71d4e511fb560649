// Views that edit something (the profile form, settings, the relay panel) carry zod for their
// checks; they load when first opened, so the first screen's script has no zod and starts sooner.
// Validation itself is unchanged: the same common/ schemas, in the same views.
import { createElement, useEffect, useRef, useState, type ComponentType, type ReactNode } from 'react';
import { LoadError, Loading } from './components/bits.js';

export function lazyView<P extends object>(what: string, load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const start = (): Promise<ComponentType<P>> => {
    pending ??= load().then(
      (component) => (loaded = component),
      (error: unknown) => {
        pending = null; // a retry loads again
        throw error;
      },
    );
    return pending;
  };
  return function LazyView(props: P): ReactNode {
    const [, setRound] = useState(0);
    const [failed, setFailed] = useState(false);
    const waited = useRef(false);
    useEffect(() => {
      if (loaded || failed) return;
      waited.current = true;
      let live = true;
      start().then(
        () => live && setRound((n) => n + 1),
        () => live && setFailed(true),
      );
      return () => {
        live = false;
      };
    }, [failed]);
    useEffect(() => {
      // Navigation meant to focus the view's heading before the view was there (focus fell to the
      // page when the view it was in went away): focus the heading now that it is.
      if (loaded && waited.current && (document.activeElement === null || document.activeElement === document.body)) {
        waited.current = false;
        document.querySelector<HTMLElement>('main h1')?.focus();
      }
    });
    if (loaded) return createElement(loaded, props);
    if (failed) {
      return (
        <LoadError what={what} error={{ kind: 'network', message: `This view could not be loaded.`, hint: 'Try again, or reload the page.' }} onRetry={() => setFailed(false)} />
      );
    }
    return <Loading what={what} />;
  };
}
