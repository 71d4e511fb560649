// Installs a jsdom window as the global DOM before React Testing Library is imported (it reads
// `document` at import time), so component tests run under node:test without a browser.
import { JSDOM } from 'jsdom';
import * as React from 'react';

const dom = new JSDOM('<!doctype html><html><body></body></html>', {
  url: 'http://127.0.0.1:47210/',
  pretendToBeVisual: true,
});
const { window } = dom;
const g = globalThis as Record<string, unknown>;

for (const key of Object.getOwnPropertyNames(window)) {
  if (key in g) continue;
  g[key] = (window as unknown as Record<string, unknown>)[key];
}
g.window = window;
g.document = window.document;
Object.defineProperty(globalThis, 'navigator', { value: window.navigator, configurable: true, writable: true });
g.requestAnimationFrame = (cb: (t: number) => void) => setTimeout(() => cb(Date.now()), 0);
g.cancelAnimationFrame = (id: ReturnType<typeof setTimeout>) => clearTimeout(id);
// Tell React this is a test environment so act() works without warnings.
g.IS_REACT_ACT_ENVIRONMENT = true;
// tsx applies the root tsconfig (react-jsx) only to the files it includes, and renderer/ and
// test/renderer are type-checked by renderer/tsconfig.json instead, so here tsx compiles their JSX
// with the classic runtime, which needs React in scope. Vite builds them with the automatic runtime.
g.React = React;
// jsdom has no scrollIntoView.
window.HTMLElement.prototype.scrollIntoView = function scrollIntoView() {};

export const jsdomWindow = window;
