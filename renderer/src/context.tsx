// What every view needs: the bridge (the only way to the engine), the clipboard actions, the store
// and a way to tell screen-reader users what just happened.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Clipboard, DashboardBridge } from './api/index.js';
import type { DashboardStore } from './store.js';

export interface Dashboard {
  bridge: DashboardBridge;
  clipboard: Clipboard;
  store: DashboardStore;
  /** Says a message in the polite live region (and shows it as a toast). */
  announce(message: string): void;
}

const DashboardContext = createContext<Dashboard | null>(null);

export function useDashboard(): Dashboard {
  const value = useContext(DashboardContext);
  if (!value) throw new Error('useDashboard needs a DashboardProvider');
  return value;
}

export function DashboardProvider(props: {
  bridge: DashboardBridge;
  clipboard: Clipboard;
  store: DashboardStore;
  children: ReactNode;
}): ReactNode {
  const [message, setMessage] = useState<{ text: string; n: number } | null>(null);
  const counter = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const announce = useCallback((text: string) => {
    counter.current += 1;
    setMessage({ text, n: counter.current });
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => setMessage(null), 5000);
  }, []);
  const value = useMemo(
    () => ({ bridge: props.bridge, clipboard: props.clipboard, store: props.store, announce }),
    [props.bridge, props.clipboard, props.store, announce],
  );
  return (
    <DashboardContext.Provider value={value}>
      {props.children}
      <div className="toast-region" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {message ? (
          <p className="toast" key={message.n}>
            {message.text}
          </p>
        ) : null}
      </div>
    </DashboardContext.Provider>
  );
}
