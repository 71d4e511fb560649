// Entry point: pick the transport (preload bridge or HTTP), start the store, render.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClipboard, selectBridge } from './api/index.js';
import { App } from './app.js';
import { DashboardProvider } from './context.js';
import { DashboardStore } from './store.js';
import './styles.css';

const bridge = selectBridge();
const store = new DashboardStore(bridge);
store.start();
const clipboard = createClipboard(bridge);

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
