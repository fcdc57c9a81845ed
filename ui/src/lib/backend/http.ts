// The backend over HTTP: the web twin's /api/cmd/{name} and its /api/events stream.
import { BackendError, toBackendError, type Backend, type Unlisten } from './types';

export function httpBackend(base = ''): Backend {
  let source: EventSource | null = null;
  const handlers = new Map<string, Set<(payload: unknown) => void>>();

  async function read<T>(response: Response): Promise<T> {
    const text = await response.text();
    if (!response.ok) {
      try {
        throw toBackendError(JSON.parse(text));
      } catch (err) {
        if (err instanceof BackendError) throw err;
        throw new BackendError('internal', text || response.statusText);
      }
    }
    return (text ? JSON.parse(text) : null) as T;
  }

  function ensureSource(event: string) {
    if (!source) source = new EventSource(`${base}/api/events`);
    if (handlers.has(event)) return;
    handlers.set(event, new Set());
    source.addEventListener(event, (message) => {
      let payload: unknown;
      try {
        payload = JSON.parse((message as MessageEvent<string>).data);
      } catch {
        return;
      }
      for (const handler of handlers.get(event) ?? []) handler(payload);
    });
  }

  return {
    async call<T>(name: string, args: Record<string, unknown> = {}): Promise<T> {
      let response: Response;
      try {
        response = await fetch(`${base}/api/cmd/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(args),
        });
      } catch (err) {
        throw toBackendError(err);
      }
      return read<T>(response);
    },
    async scanFrame<T>(bytes: Uint8Array, width: number, height: number): Promise<T> {
      const response = await fetch(`${base}/api/cmd/scan_frame`, {
        method: 'POST',
        headers: {
          'content-type': 'application/octet-stream',
          'x-width': String(width),
          'x-height': String(height),
        },
        body: bytes as BodyInit,
      });
      return read<T>(response);
    },
    async decodeImage<T>(bytes: Uint8Array): Promise<T> {
      const response = await fetch(`${base}/api/cmd/decode_image`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes as BodyInit,
      });
      return read<T>(response);
    },
    async setProductPhoto<T>(productId: string, bytes: Uint8Array): Promise<T> {
      const response = await fetch(`${base}/api/cmd/set_product_photo`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'x-product-id': productId },
        body: bytes as BodyInit,
      });
      return read<T>(response);
    },
    async productPhoto(productId: string, size: 256 | 1024): Promise<Uint8Array> {
      const response = await fetch(`${base}/api/cmd/product_photo`, {
        method: 'POST',
        headers: { 'x-product-id': productId, 'x-size': String(size) },
      });
      if (!response.ok) return read<never>(response);
      return new Uint8Array(await response.arrayBuffer());
    },
    on<T>(event: string, handler: (payload: T) => void): Unlisten {
      ensureSource(event);
      const set = handlers.get(event)!;
      const wrapped = handler as (payload: unknown) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
  };
}
