// Builds what the e2e tests run: the twin and the hub (cargo), and the web build
// (vite); writes the fake camera's video.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { writeCameraVideo } from './camera';
import { distDir, repoDir, scratchDir, uiDir } from './paths';

export default function globalSetup() {
  if (!process.env.STOCKROOM_E2E_SKIP_BUILD) {
    // The twin and the hub are built the way `cargo test --workspace` (and
    // nextest) builds them for their packages' tests: after the test suite
    // (as in CI) nothing is compiled again, where one package alone would
    // resolve other features and compile many dependencies anew.
    execFileSync('cargo', ['test', '--workspace', '--no-run'], { cwd: repoDir, stdio: 'inherit' });
    execFileSync('npx', ['vite', 'build'], { cwd: uiDir, stdio: 'inherit' });
  }
  if (!existsSync(distDir)) throw new Error(`no web build in ${distDir}`);
  rmSync(scratchDir, { recursive: true, force: true });
  mkdirSync(scratchDir, { recursive: true });
  writeCameraVideo();
}
