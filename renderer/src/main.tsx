// Entry point: pick the transport (preload bridge or HTTP), start the store, render.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClipboard, selectBridge } from './api/index.js';
import { App } from './app.js';
import { DashboardProvider } from './context.js';
import { localTimeFormat } from './format.js';
import { DashboardStore, profileCollator } from './store.js';
import './styles.css';

const bridge = selectBridge();
const store = new DashboardStore(bridge);
store.start();
const clipboard = createClipboard(bridge);
// The list needs a collator and a date formatter, and the first of each costs tens of ms (ICU
// loading its data): made in the task after the first render, while the first answers are on
// their way, instead of after they arrived (issue 16).
setTimeout(() => {
  profileCollator();
  localTimeFormat();
}, 0);

const container = document.getElementById('root');
if (container) {
  createRoot(container).render(
    <StrictMode>
      <DashboardProvider bridge={bridge} clipboard={clipboard} store={store}>
        <App />
      </DashboardProvider>
    </StrictMode>,
  );
}
