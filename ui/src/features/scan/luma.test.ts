import { describe, expect, it } from 'vitest';
import type { ScannedCodeDto } from '../../lib/api';
import { addScanned, applyScan, centreRegion, lumaOf } from './luma';

describe('camera luminance', () => {
  it('takes the centred region', () => {
    expect(centreRegion(1280, 720, 0.5)).toEqual({ x: 320, y: 180, width: 640, height: 360 });
  });

  it('turns RGBA pixels of the region into one luminance byte each', () => {
    // 3x2 frame: white, black, red / green, blue, grey
    const rgba = new Uint8ClampedArray([
      255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 255,
      0, 255, 0, 255, 0, 0, 255, 255, 128, 128, 128, 255,
    ]);
    expect([...lumaOf(rgba, 3, { x: 0, y: 0, width: 3, height: 2 })]).toEqual([255, 0, 76, 149, 28, 128]);
    expect([...lumaOf(rgba, 3, { x: 1, y: 1, width: 2, height: 1 })]).toEqual([28, 128]);
  });

  it('lists codes newest first, counting repeats', () => {
    let list = addScanned([], { format: 'EAN_13', text: '1', productName: 'A' }).list;
    list = addScanned(list, { format: 'EAN_13', text: '2', productName: null }).list;
    const again = addScanned(list, { format: 'EAN_13', text: '1', productName: 'A' });
    expect(again.isNew).toBe(false);
    expect(again.list.map((item) => [item.text, item.count])).toEqual([
      ['1', 2],
      ['2', 1],
    ]);
  });

  it('adds the codes of a scan answer with their product names', () => {
    const known = { format: 'EAN_13', text: '8413000065504', key: '8413000065504', hit: { product: { name: 'Olive oil' } } };
    const unknown = { format: 'QR_CODE', text: 'hello', key: 'hello', hit: null };
    const codes = [known, unknown] as unknown as ScannedCodeDto[];
    const first = applyScan([], codes);
    expect(first.added).toBe(2);
    expect(first.list.map((item) => [item.text, item.productName, item.count])).toEqual([
      ['hello', null, 1],
      ['8413000065504', 'Olive oil', 1],
    ]);
    const again = applyScan(first.list, [known] as unknown as ScannedCodeDto[]);
    expect(again.added).toBe(0);
    expect(again.list[0]).toMatchObject({ text: '8413000065504', count: 2 });
  });
});
