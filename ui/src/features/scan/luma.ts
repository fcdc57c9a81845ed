// Camera frames to the decoder: the luminance (one byte per pixel, BT.601
// integer weights) of a region of interest of an RGBA frame, and the list of
// codes a continuous scan has found.
import type { ScannedCodeDto } from '../../lib/api';

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The centred region of interest: `share` of each side, whole pixels. */
export function centreRegion(frameWidth: number, frameHeight: number, share = 0.8): Region {
  const width = Math.max(1, Math.round(frameWidth * share));
  const height = Math.max(1, Math.round(frameHeight * share));
  return { x: Math.floor((frameWidth - width) / 2), y: Math.floor((frameHeight - height) / 2), width, height };
}

/** Luminance of `region` of an RGBA buffer `frameWidth` pixels wide. */
export function lumaOf(rgba: Uint8ClampedArray | Uint8Array, frameWidth: number, region: Region): Uint8Array {
  const out = new Uint8Array(region.width * region.height);
  let at = 0;
  for (let row = region.y; row < region.y + region.height; row++) {
    let src = (row * frameWidth + region.x) * 4;
    for (let col = 0; col < region.width; col++, src += 4) {
      out[at++] = (rgba[src] * 77 + rgba[src + 1] * 150 + rgba[src + 2] * 29) >> 8;
    }
  }
  return out;
}

export interface ScannedCode {
  format: string;
  text: string;
  productName: string | null;
  count: number;
}

/** Adds a confirmed code to the list (newest first); returns the list and whether it is new. */
export function addScanned(list: ScannedCode[], code: Omit<ScannedCode, 'count'>): { list: ScannedCode[]; isNew: boolean } {
  const idx = list.findIndex((item) => item.text === code.text && item.format === code.format);
  if (idx >= 0) {
    const bumped = { ...list[idx], count: list[idx].count + 1 };
    return { list: [bumped, ...list.slice(0, idx), ...list.slice(idx + 1)], isNew: false };
  }
  return { list: [{ ...code, count: 1 }, ...list], isNew: true };
}

/** Adds the codes of a `scan_frame` or `decode_image` answer; returns the list and how many are new. */
export function applyScan(list: ScannedCode[], codes: ScannedCodeDto[]): { list: ScannedCode[]; added: number } {
  let added = 0;
  for (const code of codes) {
    const next = addScanned(list, { format: code.format, text: code.text, productName: code.hit?.product.name ?? null });
    list = next.list;
    if (next.isNew) added++;
  }
  return { list, added };
}
