// Picks the backend once at start: Tauri when its internals are present, else the web twin.
import { httpBackend } from './http';
import type { Backend } from './types';

export { BackendError } from './types';
export type { Backend, Unlisten } from './types';

let chosen: Backend | null = null;
let pending: Promise<Backend> | null = null;

/** The backend of this run. Tauri's module is loaded only inside Tauri. */
export function backend(): Promise<Backend> {
  if (chosen) return Promise.resolve(chosen);
  if (!pending) {
    const inTauri = typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
    pending = inTauri
      ? import('./tauri').then((mod) => (chosen = mod.tauriBackend()))
      : Promise.resolve((chosen = httpBackend()));
  }
  return pending;
}

/** For tests: use this backend from now on. */
export function setBackend(next: Backend) {
  chosen = next;
  pending = Promise.resolve(next);
}

export async function call<T>(name: string, args: Record<string, unknown> = {}): Promise<T> {
  return (await backend()).call<T>(name, args);
}

export async function scanFrame<T>(bytes: Uint8Array, width: number, height: number): Promise<T> {
  return (await backend()).scanFrame<T>(bytes, width, height);
}

export async function decodeImage<T>(bytes: Uint8Array): Promise<T> {
  return (await backend()).decodeImage<T>(bytes);
}

/** Marks the first screen as drawn and usable; a no-op where the backend has no use for it. */
export async function firstScreenShown(): Promise<void> {
  await (await backend()).firstScreenShown?.();
}

export async function setProductPhoto<T>(productId: string, bytes: Uint8Array): Promise<T> {
  return (await backend()).setProductPhoto<T>(productId, bytes);
}

export async function productPhoto(productId: string, size: 256 | 1024): Promise<Uint8Array> {
  return (await backend()).productPhoto(productId, size);
}

export function on<T>(event: string, handler: (payload: T) => void): () => void {
  let stop: (() => void) | null = null;
  let cancelled = false;
  void backend().then((b) => {
    if (!cancelled) stop = b.on(event, handler);
  });
  return () => {
    cancelled = true;
    stop?.();
  };
}
