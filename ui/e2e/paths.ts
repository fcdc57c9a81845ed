// Where the e2e tests find the repository, the built binaries and the web build.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const uiDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = resolve(uiDir, '..');
export const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repoDir, 'target');
export const twinBin = join(targetDir, 'debug', 'stockroom-twin');
export const hubBin = join(targetDir, 'debug', 'stockroom-server');
export const distDir = join(uiDir, 'dist');
export const screenshotDir = join(uiDir, 'e2e', 'screenshots');
export const scratchDir = join(uiDir, 'e2e', '.tmp');

/** Chromium's launch options (Debian's Chromium, headless), with `extraArgs`. */
export function chromiumLaunch(extraArgs: string[] = []) {
  return {
    executablePath: process.env.STOCKROOM_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', ...extraArgs],
  };
}
