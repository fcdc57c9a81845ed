// The one backend interface every screen talks to (IPC contract), and its error type.

/** An error from a command: `code` is stable (switch on it), `message` is for people. */
export class BackendError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'BackendError';
    this.code = code;
  }
}

export type Unlisten = () => void;

export interface Backend {
  /** Runs a command by name with a JSON args object. Rejects with a `BackendError`. */
  call<T>(name: string, args?: Record<string, unknown>): Promise<T>;
  /** Sends the luminance of a frame (one byte per pixel) as raw bytes. */
  scanFrame<T>(bytes: Uint8Array, width: number, height: number): Promise<T>;
  /** Sends a photo file (JPEG or PNG) as raw bytes to be decoded with every pass. */
  decodeImage<T>(bytes: Uint8Array): Promise<T>;
  /** Sends an image file (a picked file or a camera capture) as raw bytes to become `productId`'s photo. */
  setProductPhoto<T>(productId: string, bytes: Uint8Array): Promise<T>;
  /** The JPEG bytes of a product's photo, 256 or 1024 px; rejects with `photo_not_here` while it is on its way. */
  productPhoto(productId: string, size: 256 | 1024): Promise<Uint8Array>;
  /** Listens to a named event (`sync-status`, ...). */
  on<T>(event: string, handler: (payload: T) => void): Unlisten;
  /** Tells the shell the first screen is drawn and usable (the start-up benchmark's mark). */
  firstScreenShown?(): Promise<void>;
}

/** Turns whatever a transport threw into a `BackendError`. */
export function toBackendError(raw: unknown): BackendError {
  if (raw instanceof BackendError) return raw;
  if (raw && typeof raw === 'object' && 'code' in raw && typeof (raw as { code: unknown }).code === 'string') {
    const { code, message } = raw as { code: string; message?: unknown };
    return new BackendError(code, typeof message === 'string' ? message : code);
  }
  if (typeof raw === 'string') {
    try {
      return toBackendError(JSON.parse(raw));
    } catch {
      return new BackendError('internal', raw);
    }
  }
  if (raw instanceof Error) return new BackendError('hub_unreachable', raw.message);
  return new BackendError('internal', String(raw));
}
