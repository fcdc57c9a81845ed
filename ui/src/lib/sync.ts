// What the sync badge shows, from a sync status (pure, so it is unit-tested).
import type { SyncStatusDto } from './api';

export interface BadgeView {
  online: boolean;
  unsent: number;
  lastSyncAt: string | null;
  /** 0..100 while a snapshot or the first sync loads, else null. */
  progressPercent: number | null;
  tone: 'ok' | 'pending' | 'offline' | 'error';
}

const LOADING_PHASES = new Set(['snapshot', 'initial', 'loading_snapshot']);

export function badgeView(status: SyncStatusDto | null): BadgeView {
  if (!status) return { online: false, unsent: 0, lastSyncAt: null, progressPercent: null, tone: 'offline' };
  const loading = LOADING_PHASES.has(status.phase) || (status.phase !== 'idle' && status.progress !== null);
  const progressPercent =
    loading && status.progress !== null ? Math.round(Math.min(1, Math.max(0, status.progress)) * 100) : null;
  let tone: BadgeView['tone'] = 'ok';
  if (!status.online) tone = 'offline';
  else if (status.lastErrorCode && status.lastErrorCode !== 'hub_unreachable') tone = 'error';
  else if (status.unsent > 0) tone = 'pending';
  return { online: status.online, unsent: status.unsent, lastSyncAt: status.lastSyncAt, progressPercent, tone };
}
