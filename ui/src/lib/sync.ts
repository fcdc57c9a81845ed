// What the sync badge shows, from a sync status (pure, so it is unit-tested).
import type { SyncStatusDto } from './api';

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
}

export function badgeView(status: SyncStatusView | null): BadgeView {
  if (!status) {
    return { online: false, standalone: false, unsent: 0, photosToSend: 0, lastSyncMs: null, progressPercent: null, tone: 'offline' };
  }
  let progressPercent: number | null = null;
  if (status.phase === 'syncing') {
    if (typeof status.progress === 'number') progressPercent = Math.round(Math.min(1, Math.max(0, status.progress)) * 100);
    else if (status.lastSyncMs === null) progressPercent = -1;
  }
  let tone: BadgeView['tone'] = 'ok';
  if (status.phase === 'blocked') tone = 'error';
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
  };
}
