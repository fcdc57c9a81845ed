// What the sync badge shows, from a sync status (pure, so it is unit-tested).
import type { SyncStatusDto } from './api';
import type { MessageKey } from './i18n/messages';

/** The status, with snapshot progress (0..1) when the core reports it. */
export type SyncStatusView = SyncStatusDto & { progress?: number | null };

export interface BadgeView {
  online: boolean;
  /** Standalone devices show no sync state at all. */
  standalone: boolean;
  unsent: number;
  /** Photos made here the hub does not have yet (they go after the ops). */
  photosToSend: number;
  lastSyncMs: number | null;
  /** 0..100 while a snapshot loads and the core reports progress; -1 for
   *  "loading, amount unknown" (the first sync); null otherwise. */
  progressPercent: number | null;
  tone: 'ok' | 'pending' | 'offline' | 'error';
  /** Why sync stopped and what to do, when it stopped; null otherwise. */
  problem: MessageKey | null;
  /** The hub wants this device enrolled again (a new epoch, a token it no
   *  longer knows, a user switched off): offer the enrolment form. */
  reconnect: boolean;
}

/** What each block reason tells the user; a reason not listed gets `sync.problem.other`. */
const problems: Record<string, MessageKey> = {
  app_too_old: 'sync.problem.app_too_old',
  hub_too_old: 'sync.problem.hub_too_old',
  divergent_outbox: 'sync.problem.divergent_outbox',
  hub_missing_ops: 'sync.problem.hub_missing_ops',
  stale_epoch: 'sync.problem.stale_epoch',
  signed_out: 'sync.problem.signed_out',
  user_inactive: 'sync.problem.user_inactive',
};

/** Reasons that enrolling the device again clears. */
const reconnecting = new Set(['stale_epoch', 'signed_out', 'user_inactive']);

export function badgeView(status: SyncStatusView | null): BadgeView {
  if (!status) {
    return {
      online: false, standalone: false, unsent: 0, photosToSend: 0, lastSyncMs: null, progressPercent: null,
      tone: 'offline', problem: null, reconnect: false,
    };
  }
  let progressPercent: number | null = null;
  if (status.phase === 'syncing') {
    if (typeof status.progress === 'number') progressPercent = Math.round(Math.min(1, Math.max(0, status.progress)) * 100);
    else if (status.lastSyncMs === null) progressPercent = -1;
  }
  // A snapshot the hub asked for is taken at once: not a problem to show.
  const code = status.lastErrorCode ?? '';
  const blocked = status.phase === 'blocked' && code !== 'snapshot_needed';
  let tone: BadgeView['tone'] = 'ok';
  if (blocked) tone = 'error';
  else if (!status.online) tone = 'offline';
  else if (status.unsentCount > 0) tone = 'pending';
  return {
    online: status.online,
    standalone: status.phase === 'standalone',
    unsent: status.unsentCount,
    photosToSend: status.photosToUpload ?? 0,
    lastSyncMs: status.lastSyncMs,
    progressPercent,
    tone,
    problem: blocked ? (problems[code] ?? 'sync.problem.other') : null,
    reconnect: blocked && reconnecting.has(code),
  };
}
