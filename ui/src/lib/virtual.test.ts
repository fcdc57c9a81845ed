import { describe, expect, it, vi } from 'vitest';
import { PageCache, visibleRows } from './virtual';

describe('visibleRows', () => {
  it('draws only the rows in view plus overscan, for 100k rows', () => {
    expect(visibleRows(0, 480, 48, 100_000, 5)).toEqual({ start: 0, end: 16 });
    const mid = visibleRows(48 * 50_000, 480, 48, 100_000, 5);
    expect(mid).toEqual({ start: 49_995, end: 50_016 });
  });

  it('stops at the end of the list', () => {
    expect(visibleRows(48 * 99_999, 480, 48, 100_000, 5)).toEqual({ start: 99_994, end: 100_000 });
  });

  it('draws nothing for an empty list', () => {
    expect(visibleRows(0, 480, 48, 0)).toEqual({ start: 0, end: 0 });
  });
});

describe('PageCache', () => {
  const rows = Array.from({ length: 1000 }, (_, idx) => `row ${idx}`);
  const fetchPage = (offset: number, limit: number) =>
    Promise.resolve({ total: rows.length, items: rows.slice(offset, offset + limit) });

  it('fetches the pages a window covers, each once', async () => {
    const spy = vi.fn(fetchPage);
    const cache = new PageCache(spy, 100);
    await Promise.all([cache.ensure(150, 260), cache.ensure(190, 210)]);
    expect(spy.mock.calls).toEqual([
      [100, 100],
      [200, 100],
    ]);
    expect(cache.row(150)).toBe('row 150');
    expect(cache.row(259)).toBe('row 259');
    expect(cache.row(5)).toBeUndefined();
    expect(cache.total).toBe(1000);
  });

  it('asks again for a page whose fetch failed', async () => {
    let fail = true;
    const cache = new PageCache((offset, limit) => {
      if (fail) return Promise.reject(new Error('offline'));
      return fetchPage(offset, limit);
    }, 100);
    await expect(cache.ensure(0, 10)).rejects.toThrow('offline');
    fail = false;
    await cache.ensure(0, 10);
    expect(cache.row(3)).toBe('row 3');
  });
});
