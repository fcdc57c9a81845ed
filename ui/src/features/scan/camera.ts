// The camera for scanning: the back camera opened into a <video>, and a
// loop that sends the luminance of each frame's centre to the core's
// decoder. Used by the scan screen and by the start screen's code reader.
import { scanFrame } from '../../lib/backend';
import type { ScanOut } from '../../lib/api';
import { centreRegion, lumaOf } from './luma';

/** Opens the back camera and plays it in `video`. */
export async function openCamera(video: HTMLVideoElement | null): Promise<MediaStream> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: 1280, height: 720 } });
  if (video) {
    video.srcObject = stream;
    await video.play();
  }
  return stream;
}

/** Decodes frames of `video` while `running()` holds, handing each answer to `onFrame`; a failed decode ends it. */
export async function scanFrames(video: HTMLVideoElement, running: () => boolean, onFrame: (out: ScanOut) => void): Promise<void> {
  const canvas = document.createElement('canvas');
  while (running()) {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (width && height) {
      canvas.width = width;
      canvas.height = height;
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(video, 0, 0);
      const region = centreRegion(width, height);
      const pixels = ctx.getImageData(0, 0, width, height).data;
      onFrame(await scanFrame<ScanOut>(lumaOf(pixels, width, region), region.width, region.height));
    }
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}
