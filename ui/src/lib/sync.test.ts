import { describe, expect, it } from 'vitest';
import { badgeView } from './sync';

const base = { online: true, unsent: 0, lastSyncAt: '2026-12-01T10:00:00Z', phase: 'idle', progress: null, lastErrorCode: null };

describe('badgeView', () => {
  it('shows all sent when online with an empty outbox', () => {
    expect(badgeView(base)).toMatchObject({ online: true, unsent: 0, tone: 'ok', progressPercent: null });
  });

  it('shows unsent work, and offline over everything', () => {
    expect(badgeView({ ...base, unsent: 4 }).tone).toBe('pending');
    expect(badgeView({ ...base, unsent: 4, online: false })).toMatchObject({ tone: 'offline', unsent: 4 });
  });

  it('shows a progress bar during a snapshot', () => {
    expect(badgeView({ ...base, phase: 'snapshot', progress: 0.426 }).progressPercent).toBe(43);
    expect(badgeView({ ...base, phase: 'snapshot', progress: 1.7 }).progressPercent).toBe(100);
    expect(badgeView({ ...base, phase: 'idle', progress: null }).progressPercent).toBeNull();
  });

  it('flags a hub error that is not just being offline', () => {
    expect(badgeView({ ...base, lastErrorCode: 'app_too_old' }).tone).toBe('error');
    expect(badgeView({ ...base, lastErrorCode: 'hub_unreachable' }).tone).toBe('ok');
  });

  it('is offline before the first status arrives', () => {
    expect(badgeView(null).tone).toBe('offline');
  });
});
