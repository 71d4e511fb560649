// Testing Library for the dashboard as it ships. `react` and `react-dom` are preact/compat (npm
// aliases in package.json), so this is React Testing Library's render, act and cleanup
// over Preact's act: @testing-library/react itself cannot load on the alias (it requires
// `react-dom/test-utils`, which @preact/compat does not export, and its CommonJS build would load a
// second Preact beside the ES module one the components use). Queries, events and waitFor are
// @testing-library/dom's own, the same version React Testing Library used.
import './setup-dom.js';
import { configure, fireEvent as domFireEvent, getQueriesForElement, prettyDOM } from '@testing-library/dom';
import { act as preactAct } from 'preact/test-utils';
import type { ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';

export * from '@testing-library/dom';

/** Runs `callback` and flushes the renders and effects it caused, as React's act does. */
export function act(callback: () => unknown): Promise<void> {
  return preactAct(callback as () => void | Promise<void>);
}

// Every fired event lands inside act, so its re-render is in the DOM when fireEvent returns; waitFor
// polls outside act, as with React, and lets the renders it waited for finish before returning.
configure({
  eventWrapper: (callback) => {
    let result: unknown;
    void act(() => {
      result = callback();
    });
    return result;
  },
  asyncWrapper: async (callback) => {
    const result = await callback();
    await new Promise((resolve) => setTimeout(resolve, 0));
    return result;
  },
});

const typesValue = (element: unknown): boolean =>
  element instanceof window.HTMLTextAreaElement ||
  (element instanceof window.HTMLInputElement && !/^(checkbox|radio|file)$/.test(element.type));

/**
 * @testing-library/dom's fireEvent, where a change of a text field also fires `input`: React's
 * onChange follows every edit, and preact/compat listens to `input` for it (as React does beneath),
 * so a test's "the user changed the value" reaches the component as it does in a browser.
 */
export const fireEvent: typeof domFireEvent = Object.assign(
  (...args: Parameters<typeof domFireEvent>) => domFireEvent(...args),
  domFireEvent,
  {
    change: (element: Document | Element | Window | Node, init?: object): boolean => {
      const result = domFireEvent.change(element, init);
      if (typesValue(element)) domFireEvent.input(element);
      return result;
    },
  },
);

export type RenderResult = ReturnType<typeof getQueriesForElement> & {
  container: HTMLElement;
  baseElement: HTMLElement;
  rerender(ui: ReactNode): void;
  unmount(): void;
  debug(element?: Element): void;
};

const mounted = new Set<{ root: Root; container: HTMLElement }>();

export function render(ui: ReactNode): RenderResult {
  const container = document.body.appendChild(document.createElement('div'));
  const root = createRoot(container);
  mounted.add({ root, container });
  void act(() => root.render(ui));
  return {
    ...getQueriesForElement(document.body),
    container,
    baseElement: document.body,
    rerender: (next: ReactNode) => void act(() => root.render(next)),
    unmount: () => void act(() => root.unmount()),
    debug: (element = document.body) => console.log(prettyDOM(element)),
  };
}

/** Unmounts everything render() mounted and empties the page. */
export function cleanup(): void {
  for (const { root, container } of mounted) {
    void act(() => root.unmount());
    container.remove();
  }
  mounted.clear();
  document.body.innerHTML = '';
}
