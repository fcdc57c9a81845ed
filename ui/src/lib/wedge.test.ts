import { describe, expect, it, vi } from 'vitest';
import { listenForWedge, WedgeDetector } from './wedge';

function typeKeys(detector: WedgeDetector, keys: string[], gapMs: number, startMs = 1000) {
  const results: (string | null)[] = [];
  keys.forEach((key, idx) => results.push(detector.key(key, startMs + idx * gapMs)));
  return results;
}

describe('WedgeDetector', () => {
  it('reads a fast burst of digits ending in Enter as a scan', () => {
    const detector = new WedgeDetector();
    const results = typeKeys(detector, [...'4006381333931', 'Enter'], 8);
    expect(results.at(-1)).toBe('4006381333931');
    expect(results.slice(0, -1).every((r) => r === null)).toBe(true);
  });

  it('does not take a person typing the same digits for a scan', () => {
    const detector = new WedgeDetector();
    const results = typeKeys(detector, [...'4006381333931', 'Enter'], 150);
    expect(results.at(-1)).toBeNull();
  });

  it('ignores a burst that is too short', () => {
    const detector = new WedgeDetector();
    expect(typeKeys(detector, [...'123', 'Enter'], 5).at(-1)).toBeNull();
  });

  it('starts over after a pause inside the burst', () => {
    const detector = new WedgeDetector();
    typeKeys(detector, [...'999'], 5, 0);
    const results = typeKeys(detector, [...'96385074', 'Enter'], 5, 500);
    expect(results.at(-1)).toBe('96385074');
  });

  it('does not count a slow Enter after fast digits', () => {
    const detector = new WedgeDetector();
    typeKeys(detector, [...'96385074'], 5, 0);
    expect(detector.key('Enter', 1000)).toBeNull();
  });

  it('reads two scans in a row', () => {
    const detector = new WedgeDetector();
    expect(typeKeys(detector, [...'96385074', 'Enter'], 5, 0).at(-1)).toBe('96385074');
    expect(typeKeys(detector, [...'4006381333931', 'Enter'], 5, 2000).at(-1)).toBe('4006381333931');
  });
});

describe('listenForWedge', () => {
  function press(target: EventTarget, key: string, timeStamp: number) {
    const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true });
    Object.defineProperty(event, 'timeStamp', { value: timeStamp });
    target.dispatchEvent(event);
    return event;
  }

  it('calls back with the code and takes the burst out of a text field', () => {
    const input = document.createElement('input');
    document.body.append(input);
    const onScan = vi.fn();
    const stop = listenForWedge(document, onScan);
    input.value = 'note ';
    let time = 100;
    for (const key of '96385074') {
      input.value += key;
      press(input, key, (time += 5));
    }
    const enter = press(input, 'Enter', time + 5);
    expect(onScan).toHaveBeenCalledWith('96385074');
    expect(input.value).toBe('note ');
    expect(enter.defaultPrevented).toBe(true);
    stop();
    input.remove();
  });

  it('leaves a slow Enter to the page', () => {
    const onScan = vi.fn();
    const stop = listenForWedge(document, onScan);
    let time = 0;
    for (const key of '96385074') press(document.body, key, (time += 200));
    const enter = press(document.body, 'Enter', time + 200);
    expect(onScan).not.toHaveBeenCalled();
    expect(enter.defaultPrevented).toBe(false);
    stop();
  });
});
