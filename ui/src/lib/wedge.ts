// Keyboard-wedge scanner detection: a burst of code characters ending in Enter,
// typed faster than a person types, is a scan; anything slower is a person.

export interface WedgeOptions {
  /** Longest pause between two keys of one scan, in milliseconds. */
  maxGapMs: number;
  /** Fewest characters a scan carries (EAN-8 is the shortest code we read). */
  minLength: number;
}

export const DEFAULT_WEDGE: WedgeOptions = { maxGapMs: 40, minLength: 6 };

const CODE_CHAR = /^[0-9A-Za-z\-.$/+% ]$/;

/** Feeds keys one by one; `key` returns the scanned code when a scan just ended. */
export class WedgeDetector {
  private buffer = '';
  private lastAt = -Infinity;
  private readonly options: WedgeOptions;

  constructor(options: Partial<WedgeOptions> = {}) {
    this.options = { ...DEFAULT_WEDGE, ...options };
  }

  /** The characters of the burst in progress (to take back out of a text field). */
  get pending(): string {
    return this.buffer;
  }

  key(key: string, atMs: number): string | null {
    const gap = atMs - this.lastAt;
    this.lastAt = atMs;
    if (gap > this.options.maxGapMs) this.buffer = '';
    if (key === 'Enter') {
      const code = this.buffer;
      this.buffer = '';
      return code.length >= this.options.minLength && gap <= this.options.maxGapMs ? code : null;
    }
    if (CODE_CHAR.test(key)) {
      this.buffer += key;
    } else if (key.length === 1 || key === 'Backspace') {
      this.buffer = '';
    }
    return null;
  }

  reset() {
    this.buffer = '';
    this.lastAt = -Infinity;
  }
}

/**
 * Listens on a target for wedge scans. When a burst lands in a text field,
 * its characters are taken back out of the field and the Enter is swallowed,
 * so the field keeps what the person typed.
 */
export function listenForWedge(
  target: EventTarget,
  onScan: (code: string) => void,
  options: Partial<WedgeOptions> = {},
): () => void {
  const detector = new WedgeDetector(options);
  const listener = (event: Event) => {
    const keyEvent = event as KeyboardEvent;
    if (keyEvent.ctrlKey || keyEvent.altKey || keyEvent.metaKey) return;
    const pending = detector.pending;
    const code = detector.key(keyEvent.key, keyEvent.timeStamp);
    if (code === null) return;
    const field = keyEvent.target;
    if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) {
      if (field.dataset.wedge === 'own') return;
      if (field.value.endsWith(pending)) {
        field.value = field.value.slice(0, field.value.length - pending.length);
        field.dispatchEvent(new Event('input', { bubbles: true }));
      }
    }
    keyEvent.preventDefault();
    keyEvent.stopPropagation();
    onScan(code);
  };
  target.addEventListener('keydown', listener, { capture: true });
  return () => target.removeEventListener('keydown', listener, { capture: true });
}
