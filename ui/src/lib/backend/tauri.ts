// The backend inside the Tauri shell: the only file that imports `@tauri-apps/*`.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { toBackendError, type Backend, type Unlisten } from './types';

export function tauriBackend(): Backend {
  return {
    async call<T>(name: string, args: Record<string, unknown> = {}): Promise<T> {
      try {
        return await invoke<T>(name, { args });
      } catch (err) {
        throw toBackendError(err);
      }
    },
    async scanFrame<T>(bytes: Uint8Array, width: number, height: number): Promise<T> {
      try {
        return await invoke<T>('scan_frame', bytes, {
          headers: { 'x-width': String(width), 'x-height': String(height) },
        });
      } catch (err) {
        throw toBackendError(err);
      }
    },
    async decodeImage<T>(bytes: Uint8Array): Promise<T> {
      try {
        return await invoke<T>('decode_image', bytes);
      } catch (err) {
        throw toBackendError(err);
      }
    },
    async firstScreenShown(): Promise<void> {
      await invoke('ui_ready');
    },
    async setProductPhoto<T>(productId: string, bytes: Uint8Array): Promise<T> {
      try {
        return await invoke<T>('set_product_photo', bytes, { headers: { 'x-product-id': productId } });
      } catch (err) {
        throw toBackendError(err);
      }
    },
    async productPhoto(productId: string, size: 256 | 1024): Promise<Uint8Array> {
      try {
        const raw = await invoke<ArrayBuffer | number[]>('product_photo', undefined, {
          headers: { 'x-product-id': productId, 'x-size': String(size) },
        });
        return raw instanceof ArrayBuffer ? new Uint8Array(raw) : Uint8Array.from(raw);
      } catch (err) {
        throw toBackendError(err);
      }
    },
    on<T>(event: string, handler: (payload: T) => void): Unlisten {
      let stop: Unlisten | null = null;
      let cancelled = false;
      void listen<T>(event, (message) => handler(message.payload)).then((unlisten) => {
        if (cancelled) unlisten();
        else stop = unlisten;
      });
      return () => {
        cancelled = true;
        stop?.();
      };
    },
  };
}
