// Desktop notifications that are not about a profile's token (docs/desktop.md lists those; the
// notification policy decides them): each has its own kind, so nothing poses as an expiry.
import type { ErrorInfo } from '../../../common/contract.js';
import type { NotificationModel } from './notification-policy.js';

/** A broken config.json was moved aside before opening (docs/storage.md): the person must know. */
export function configMovedAsideNotice(report: { movedTo: string; reason: string }): NotificationModel {
  return {
    kind: 'config-moved-aside',
    title: 'Tokentray: config file was broken',
    body: `It was moved aside to ${report.movedTo} (${report.reason}).`,
  };
}

/** A tray copy that failed: nothing reached the clipboard, and here is why (never a secret: errors.ts). */
export function copyFailedNotice(profileId: string, error: Pick<ErrorInfo, 'message' | 'hint'>): NotificationModel {
  return {
    kind: 'copy-failed',
    profileId,
    title: 'Nothing was copied',
    body: `${error.message}${error.hint ? ` ${error.hint}` : ''}`,
  };
}

/**
 * The local socket was not served (docs/http-api.md: a symlink, someone else's folder, another app
 * on it): the tray app keeps working and programs use the TCP API with a client key, but the
 * person should know why `tokentray token` now needs the key.
 */
export function socketRefusedNotice(error: Pick<ErrorInfo, 'message' | 'hint'>): NotificationModel {
  return {
    kind: 'socket-refused',
    title: 'Tokentray: local socket not served',
    body: `${error.message} Programs use the loopback API with a client key instead.${error.hint ? ` ${error.hint}` : ''}`,
  };
}

/**
 * The configured shared cache cannot be used (a malformed URL, no fleet key): the tray app refreshes
 * alone, which spends the fleet's rate limit (docs/shared-cache.md), so the person should know why.
 */
export function sharedCacheRefusedNotice(error: Pick<ErrorInfo, 'message' | 'hint'>): NotificationModel {
  return {
    kind: 'shared-cache-refused',
    title: 'Tokentray: shared cache not used',
    body: `${error.message} This machine refreshes its tokens alone.${error.hint ? ` ${error.hint}` : ''}`,
  };
}
