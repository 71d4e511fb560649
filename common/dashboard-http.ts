// The headless dashboard's HTTP paths and session names: plain data with no imports, so the
// dashboard's first script takes them without zod (validation lives in main, and in the
// dashboard only in the views that edit something, loaded when they open). common/contract.ts
// re-exports them.

/** Headless mode: the dashboard's RPC endpoint mirrors the IPC channels one to one. */
export const HTTP_RPC_PREFIX = '/ui/rpc/';
/** POST {"token"}: the redemption of a one-time login link, by the dashboard page's own script. */
export const HTTP_LOGIN_PATH = '/ui/login';
/**
 * The dashboard page a login link opens, `/login#token=...`: a client-side route of the dashboard
 * itself (its assets are relative, so it must sit at the top level), whose script redeems the token.
 */
export const DASHBOARD_LOGIN_PAGE = '/login';
export const HTTP_LOGOUT_PATH = '/ui/logout';
export const HTTP_EVENTS_PATH = '/v1/events';
/** The second factor only: cookies ignore ports, so this alone opens nothing. */
export const SESSION_COOKIE = 'tokentray_session';
/** The origin-bound session secret the page keeps in sessionStorage and sends on every request. */
export const SESSION_HEADER = 'X-Tokentray-Session';
/** The sessionStorage key the page keeps it under. */
export const SESSION_STORAGE_KEY = 'tokentray.session';
/** A session lives in one tab's sessionStorage: another tab, or a copied URL, needs its own link. */
export const SESSION_HINT =
  'A dashboard session belongs to the browser tab that opened its login link; a new tab needs a new link. Run `tokentray dashboard` and open the link it prints.';
