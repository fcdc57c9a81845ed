// A fake camera for Chromium: a Y4M video (`--use-file-for-fake-video-capture`)
// whose frames are a barcode photo of the decoder's fixtures (as the camera
// sees it, 640x480), made with ImageMagick at test set-up. (The photo pasted on
// a larger white page is not read, by either effort: the decoder wants the
// code to fill more of the frame than that.)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoDir, scratchDir } from './paths';

/** The barcode photo and the EAN-13 it holds (crates/scan/tests/fixtures). */
export const CAMERA_PHOTO = join(repoDir, 'crates/scan/tests/fixtures/ean13-1/1.jpg');
export const CAMERA_CODE = '8413000065504';
/** Where the video is written (the scratch folder is made afresh by global set-up). */
export const cameraVideo = join(scratchDir, 'camera.y4m');

const WIDTH = 640;
const HEIGHT = 480;
const FRAMES = 10;

/** Writes the fake camera's video: FRAMES grey 4:2:0 frames of the photo. */
export function writeCameraVideo(photo = CAMERA_PHOTO, out = cameraVideo) {
  const luma = execFileSync('convert', [
    photo, '-resize', `${WIDTH}x${HEIGHT}!`,
    '-colorspace', 'Gray', '-depth', '8', 'gray:-',
  ], { maxBuffer: WIDTH * HEIGHT * 2 });
  if (luma.length !== WIDTH * HEIGHT) throw new Error(`convert gave ${luma.length} bytes, not ${WIDTH * HEIGHT}`);
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2) * 2, 128);
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F30:1 Ip A1:1 C420jpeg\n`)];
  for (let frame = 0; frame < FRAMES; frame++) parts.push(Buffer.from('FRAME\n'), luma, chroma);
  writeFileSync(out, Buffer.concat(parts));
}
