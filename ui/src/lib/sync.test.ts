import { describe, expect, it } from 'vitest';
import { badgeView, type SyncStatusView } from './sync';

const base: SyncStatusView = {
  phase: 'idle',
  online: true,
  unsentCount: 0,
  lastSyncMs: 1_764_000_000_000,
  failures: 0,
  pagesApplied: 3,
  lastErrorCode: null,
  photosToUpload: 0,
  photosToFetch: 0,
  photosRefused: 0,
};

describe('badgeView', () => {
  it('shows all sent when online with an empty outbox', () => {
    expect(badgeView(base)).toMatchObject({ online: true, unsent: 0, tone: 'ok', progressPercent: null });
  });

  it('shows unsent work, and offline over everything but a block', () => {
    expect(badgeView({ ...base, phase: 'syncing', unsentCount: 4 }).tone).toBe('pending');
    expect(badgeView({ ...base, phase: 'offline', unsentCount: 4, online: false })).toMatchObject({ tone: 'offline', unsent: 4 });
    expect(badgeView({ ...base, phase: 'blocked', online: false, lastErrorCode: 'app_too_old' }).tone).toBe('error');
  });

  it('shows a progress bar during the first sync, measured when the core says how far', () => {
    expect(badgeView({ ...base, phase: 'syncing', lastSyncMs: null }).progressPercent).toBe(-1);
    expect(badgeView({ ...base, phase: 'syncing', progress: 0.426 }).progressPercent).toBe(43);
    expect(badgeView({ ...base, phase: 'syncing', progress: 1.7 }).progressPercent).toBe(100);
    expect(badgeView({ ...base, phase: 'syncing' }).progressPercent).toBeNull();
    expect(badgeView(base).progressPercent).toBeNull();
  });

  it('counts the photos still to send apart from the ops', () => {
    expect(badgeView({ ...base, photosToUpload: 2 })).toMatchObject({ photosToSend: 2, unsent: 0, tone: 'ok' });
    expect(badgeView(null).photosToSend).toBe(0);
  });

  it('says why sync stopped, and offers to connect again when that is the cure', () => {
    const blocked = { ...base, phase: 'blocked' as const, online: true };
    expect(badgeView({ ...blocked, lastErrorCode: 'user_inactive' })).toMatchObject({
      tone: 'error',
      problem: 'sync.problem.user_inactive',
      reconnect: true,
    });
    expect(badgeView({ ...blocked, lastErrorCode: 'stale_epoch' }).reconnect).toBe(true);
    expect(badgeView({ ...blocked, lastErrorCode: 'app_too_old' })).toMatchObject({
      problem: 'sync.problem.app_too_old',
      reconnect: false,
    });
    expect(badgeView({ ...blocked, lastErrorCode: 'some_new_reason' }).problem).toBe('sync.problem.other');
    // A snapshot the hub asked for is on its way, not a problem.
    expect(badgeView({ ...blocked, lastErrorCode: 'snapshot_needed' })).toMatchObject({ problem: null, tone: 'ok' });
    expect(badgeView({ ...base, lastErrorCode: 'user_inactive' })).toMatchObject({ problem: null, reconnect: false });
  });

  it('knows a standalone device, and is offline before the first status arrives', () => {
    expect(badgeView({ ...base, phase: 'standalone', online: false }).standalone).toBe(true);
    expect(badgeView(null).tone).toBe('offline');
  });
});
