// The hub and the web twin as real processes: start on a free port, wait until
// they answer, stop (SIGTERM), and start again on the same port and data.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { distDir, hubBin, scratchDir, twinBin } from './paths';

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitFor(url: string, what: string, child: ChildProcess, log: () => string) {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${log()}`);
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new Error(`${what} did not answer at ${url}:\n${log()}`);
}

function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    child.once('exit', () => resolveStop());
    child.kill('SIGTERM');
    setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5000);
  });
}

export function scratch(prefix: string): string {
  return mkdtempSync(join(scratchDir, `${prefix}-`));
}

export const OWNER = { username: 'owner', password: 'owner-password-1' };

export class Hub {
  private child: ChildProcess | null = null;
  private output = '';
  readonly dir = scratch('hub');
  readonly dbPath = join(this.dir, 'hub.db');
  port = 0;

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Adds a hub user of a role (the hub may be running). */
  addUser(username: string, role: string, password: string) {
    execFileSync(hubBin, ['--database-url', this.dbPath, 'add-user', '--tenant', 'Shop', '--username', username, '--role', role], {
      env: { ...process.env, STOCKROOM_PASSWORD: password },
      stdio: 'pipe',
    });
  }

  async start() {
    if (!this.port) this.port = await freePort();
    this.output = '';
    const child = spawn(hubBin, ['--database-url', this.dbPath, '--listen', `127.0.0.1:${this.port}`], {
      env: {
        ...process.env,
        STOCKROOM_BOOTSTRAP_USERNAME: OWNER.username,
        STOCKROOM_BOOTSTRAP_PASSWORD: OWNER.password,
        STOCKROOM_BOOTSTRAP_TENANT: 'Shop',
        RUST_LOG: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (this.output += chunk));
    child.stderr!.on('data', (chunk) => (this.output += chunk));
    this.child = child;
    await waitFor(`${this.url}/healthz`, 'the hub', child, () => this.output);
  }

  async stop() {
    await stopChild(this.child);
    this.child = null;
  }
}

export class Twin {
  private child: ChildProcess | null = null;
  private output = '';
  readonly dir = scratch('device');
  port = 0;

  constructor(private readonly flags: string[] = []) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    if (!this.port) this.port = await freePort();
    this.output = '';
    const child = spawn(
      twinBin,
      ['--data-dir', this.dir, '--port', String(this.port), '--ui-dir', distDir, ...this.flags],
      { env: { ...process.env, RUST_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (chunk) => (this.output += chunk));
    child.stderr!.on('data', (chunk) => (this.output += chunk));
    this.child = child;
    await waitFor(`${this.url}/`, 'the twin', child, () => this.output);
  }

  async stop() {
    await stopChild(this.child);
    this.child = null;
  }

  log() {
    return this.output;
  }
}

/** Runs a command on a twin directly (test set-up, not the thing under test). */
export async function api<T>(twin: Twin, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${twin.url}/api/cmd/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(args),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${name}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Waits until a twin's outbox is empty and the hub answered (after a nudge). */
export async function synced(twin: Twin) {
  for (let attempt = 0; attempt < 300; attempt++) {
    const status = await api<{ online: boolean; unsentCount: number }>(twin, 'sync_now').catch(() => null);
    if (status?.online && status.unsentCount === 0) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  throw new Error(`the device did not sync:\n${twin.log()}`);
}
