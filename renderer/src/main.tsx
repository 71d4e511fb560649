// Entry point: pick the transport (preload bridge or HTTP), ask the first questions, render once the
// answers are in (or after FIRST_ANSWERS_WAIT_MS).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClipboard, selectBridge } from './api/index.js';
import { App } from './app.js';
import { DashboardProvider } from './context.js';
import { localTimeFormat } from './format.js';
import { settledOrAfter, settling } from './settling.js';
import { DashboardStore, profileCollator } from './store.js';
import { postTask } from './tasks.js';
import './styles.css';

/**
 * How long the first render waits for the first answers (the vault's state and the profiles), so
 * the page is drawn once, with its content, instead of a loading screen first and then again: both
 * renders and the first paint would otherwise stand between the answers and the list.
 * Slower answers get the loading screen after this long.
 */
const FIRST_ANSWERS_WAIT_MS = 150;

const bridge = selectBridge();
// The vault's state first: every view waits for it.
const firstVault = settling(bridge.invoke('vault:state'));
const store = new DashboardStore(bridge);
store.start();
const clipboard = createClipboard(bridge);
// The list needs a collator and a date formatter, and the first of each costs tens of ms (ICU
// loading its data): made in a task of their own as soon as the first questions are sent, while
// their answers are on their way, instead of after they arrived.
postTask(() => {
  profileCollator();
  localTimeFormat();
}, 'user-blocking');

const container = document.getElementById('root');
if (container) {
  void settledOrAfter(Promise.all([firstVault.promise, store.profilesLoaded()]), FIRST_ANSWERS_WAIT_MS).then(() => {
    createRoot(container).render(
      <StrictMode>
        <DashboardProvider bridge={bridge} clipboard={clipboard} store={store}>
          <App firstVault={firstVault} />
        </DashboardProvider>
      </StrictMode>,
    );
  });
}
