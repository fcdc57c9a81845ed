// Builds what the e2e tests run: the twin and the hub (cargo), and the web build
// (vite); writes the fake camera's video.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { writeCameraVideo } from './camera';
import { distDir, repoDir, scratchDir, uiDir } from './paths';

export default function globalSetup() {
  if (!process.env.STOCKROOM_E2E_SKIP_BUILD) {
    // One package per build, so each gets the dependency features it gets in
    // its own `cargo build` (together they would unify features and rebuild).
    execFileSync('cargo', ['build', '-p', 'stockroom-app', '--bin', 'stockroom-twin'], { cwd: repoDir, stdio: 'inherit' });
    execFileSync('cargo', ['build', '-p', 'stockroom-server', '--bin', 'stockroom-server'], { cwd: repoDir, stdio: 'inherit' });
    execFileSync('npx', ['vite', 'build'], { cwd: uiDir, stdio: 'inherit' });
  }
  if (!existsSync(distDir)) throw new Error(`no web build in ${distDir}`);
  rmSync(scratchDir, { recursive: true, force: true });
  mkdirSync(scratchDir, { recursive: true });
  writeCameraVideo();
}
