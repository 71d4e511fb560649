// The dashboard window and the rules every web page of the app lives under (docs/desktop.md):
// contextIsolation, sandbox, no nodeIntegration, webSecurity; our files only, from the private
// app://tokentray origin with a strict CSP header; navigation, new windows, webviews and every
// permission request denied; no remote content at all. Closing the window hides it to the tray.
import {
  BrowserWindow,
  type App,
  type Protocol,
  type Session,
  type WebContents,
} from 'electron';
import {
  APP_SCHEME,
  answerAppRequest,
  dashboardUrl,
  isAppUrl,
} from '../core/desktop/window-policy.js';

/**
 * Must run before app 'ready': app:// behaves like https (standard, secure origin, fetch). Vite's
 * bundle loads as module scripts, which are fetched in CORS mode, hence corsEnabled; our answers
 * never carry Access-Control-Allow-Origin, so no other origin can read them.
 */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
  ]);
}

/** Serves dist/renderer on app://tokentray/ with the CSP and nosniff headers on every answer. */
export function serveAppProtocol(session: Session, rendererDir: string): void {
  session.protocol.handle(APP_SCHEME, (request) => {
    return answerAppRequest(request, rendererDir);
  });
}

/** No remote content and no permissions, for every page in this session. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*'] }, (_details, callback) =>
    callback({ cancel: true }),
  );
}

/** Applies to every web contents the app ever creates, not only the dashboard. */
export function hardenWebContents(app: Pick<App, 'on'>): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

export interface DashboardWindowDeps {
  preloadPath: string;
  iconPath?: string;
  /** True once Quit was chosen: then closing really closes. */
  isQuitting: () => boolean;
}

export class DashboardWindow {
  readonly #deps: DashboardWindowDeps;
  #window: BrowserWindow | null = null;

  constructor(deps: DashboardWindowDeps) {
    this.#deps = deps;
  }

  /** Opens (or focuses) the dashboard, at a profile when one is named. */
  show(profileId?: string): BrowserWindow {
    let window = this.#window;
    if (!window || window.isDestroyed()) {
      // The options stay a literal here so static scanners (scripts/security-scan.mjs) can read them.
      window = new BrowserWindow({
        width: 1100,
        height: 760,
        minWidth: 640,
        minHeight: 480,
        show: false,
        title: 'Tokentray',
        autoHideMenuBar: true,
        ...(this.#deps.iconPath ? { icon: this.#deps.iconPath } : {}),
        webPreferences: {
          preload: this.#deps.preloadPath,
          contextIsolation: true,
          sandbox: true,
          nodeIntegration: false,
          nodeIntegrationInWorker: false,
          nodeIntegrationInSubFrames: false,
          webSecurity: true,
          allowRunningInsecureContent: false,
          experimentalFeatures: false,
          webviewTag: false,
          navigateOnDragDrop: false,
          spellcheck: false,
          safeDialogs: true,
          disableBlinkFeatures: 'Auxclick',
        },
      });
      this.#window = window;
      const created = window;
      created.once('ready-to-show', () => {
        created.show();
        created.focus();
      });
      created.on('close', (event) => {
        if (!this.#deps.isQuitting()) {
          event.preventDefault();
          created.hide();
        }
      });
      created.on('closed', () => {
        if (this.#window === created) this.#window = null;
      });
      void created.loadURL(dashboardUrl(profileId));
      return created;
    }
    if (profileId) void window.loadURL(dashboardUrl(profileId));
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    return window;
  }

  webContents(): WebContents | null {
    const window = this.#window;
    return window && !window.isDestroyed() ? window.webContents : null;
  }

  webContentsId(): number | null {
    return this.webContents()?.id ?? null;
  }

  /** For the IPC push: only our own page ever gets events. */
  static isOwnPage(url: string): boolean {
    return isAppUrl(url);
  }

  destroy(): void {
    if (this.#window && !this.#window.isDestroyed()) this.#window.destroy();
    this.#window = null;
  }
}
