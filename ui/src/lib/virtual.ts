// The arithmetic of a virtualised list (which rows to draw) and a page cache
// that fetches rows from the core in fixed pages as the list scrolls.

export interface RowWindow {
  start: number;
  end: number; // exclusive
}

/** The rows to draw for a scroll position, with `overscan` rows either side. */
export function visibleRows(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  total: number,
  overscan = 5,
): RowWindow {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(first, total - 1) - overscan);
  const end = Math.min(total, first + count + overscan);
  return { start, end };
}

export interface Page<T> {
  total: number;
  items: T[];
}

/** Rows fetched in pages of `pageSize`; a page is asked for once. */
export class PageCache<T> {
  private readonly pages = new Map<number, T[]>();
  private readonly inFlight = new Map<number, Promise<void>>();
  total = 0;

  constructor(
    private readonly fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
    readonly pageSize = 100,
  ) {}

  row(idx: number): T | undefined {
    return this.pages.get(Math.floor(idx / this.pageSize))?.[idx % this.pageSize];
  }

  /** Makes sure every page covering `[start, end)` is loaded. */
  async ensure(start: number, end: number): Promise<void> {
    const waits: Promise<void>[] = [];
    const lastPage = Math.floor(Math.max(start, end - 1) / this.pageSize);
    for (let pageIdx = Math.floor(start / this.pageSize); pageIdx <= lastPage; pageIdx++) {
      if (this.pages.has(pageIdx)) continue;
      let wait = this.inFlight.get(pageIdx);
      if (!wait) {
        wait = this.fetchPage(pageIdx * this.pageSize, this.pageSize)
          .then((page) => {
            this.total = page.total;
            this.pages.set(pageIdx, page.items);
          })
          .finally(() => this.inFlight.delete(pageIdx));
        this.inFlight.set(pageIdx, wait);
      }
      waits.push(wait);
    }
    await Promise.all(waits);
  }

  get loadedPages(): number {
    return this.pages.size;
  }
}
