// Product photos in the webview: the bytes from `product_photo` turned into
// blob: URLs, kept by content hash (a hash never changes its bytes), the
// oldest revoked past a limit. A photo still on its way from the hub
// (`photo_not_here`) is not remembered, so the next ask fetches again.
import { BackendError, productPhoto } from './backend';

export type PhotoSize = 256 | 1024;
export type PhotoLoader = (productId: string, size: PhotoSize) => Promise<Uint8Array>;

export class PhotoUrls {
  private urls = new Map<string, string>();
  private pending = new Map<string, Promise<string | null>>();

  constructor(
    private load: PhotoLoader,
    private makeUrl: (bytes: Uint8Array) => string = (bytes) =>
      URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'image/jpeg' })),
    private revoke: (url: string) => void = (url) => URL.revokeObjectURL(url),
    private maxEntries = 400,
  ) {}

  /**
   * The URL of a product's photo version `hash`, or null when the product
   * has none, or it is not on this device yet (ask again later).
   */
  url(productId: string, hash: string | null | undefined, size: PhotoSize): Promise<string | null> {
    if (!hash) return Promise.resolve(null);
    const known = this.urls.get(hash);
    if (known) {
      // Most recently used last.
      this.urls.delete(hash);
      this.urls.set(hash, known);
      return Promise.resolve(known);
    }
    const inFlight = this.pending.get(hash);
    if (inFlight) return inFlight;
    const asked = this.load(productId, size).then(
      (bytes) => {
        this.pending.delete(hash);
        const url = this.makeUrl(bytes);
        this.urls.set(hash, url);
        this.trim();
        return url;
      },
      (err: unknown) => {
        this.pending.delete(hash);
        if (!(err instanceof BackendError) || (err.code !== 'photo_not_here' && err.code !== 'not_found')) {
          console.warn('product photo', err);
        }
        return null;
      },
    );
    this.pending.set(hash, asked);
    return asked;
  }

  /** How many URLs are held. */
  get size(): number {
    return this.urls.size;
  }

  private trim() {
    while (this.urls.size > this.maxEntries) {
      const [oldest, url] = this.urls.entries().next().value as [string, string];
      this.urls.delete(oldest);
      this.revoke(url);
    }
  }
}

/** The app's one cache. */
export const photoUrls = new PhotoUrls((productId, size) => productPhoto(productId, size));

/** Reads a picked file's bytes. */
export async function fileBytes(file: Blob): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}
