// A small W3C WebDriver client over fetch (no dependency): sessions, elements
// by `data-testid`, clicks, typing, key actions, scripts, and waiting.

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** Polls `probe` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitUntil(what, probe, timeoutMs = 30_000, intervalMs = 150) {
  const deadline = Date.now() + timeoutMs;
  let lastError = null;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, intervalMs));
  }
}

export class WebDriver {
  /** @param {string} url the driver's address, e.g. http://127.0.0.1:4444 */
  constructor(url) {
    this.url = url;
    this.sessionId = null;
  }

  async request(method, path, body) {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    }
    if (!response.ok) {
      const value = parsed?.value ?? {};
      const error = new Error(`${method} ${path}: ${value.error ?? response.status} ${value.message ?? ''}`);
      error.code = value.error;
      throw error;
    }
    return parsed?.value;
  }

  session(path) {
    if (!this.sessionId) throw new Error('no WebDriver session');
    return `/session/${this.sessionId}${path}`;
  }

  /** Starts the app under test: tauri-driver launches `application` with `args`. */
  async start(application, args = []) {
    const value = await this.request('POST', '/session', {
      capabilities: { alwaysMatch: { 'tauri:options': { application, args } } },
    });
    this.sessionId = value.sessionId;
    return value;
  }

  async quit() {
    if (!this.sessionId) return;
    const path = this.session('');
    this.sessionId = null;
    await this.request('DELETE', path);
  }

  /** The elements matching `[data-testid="id"]` (`extra` appended to the selector). */
  async all(testid, extra = '') {
    const found = await this.request('POST', this.session('/elements'), {
      using: 'css selector',
      value: `[data-testid="${testid}"]${extra}`,
    });
    return found.map((element) => element[ELEMENT]);
  }

  /** Waits until an element with the test id is displayed, and returns it. */
  async visible(testid, timeoutMs = 30_000) {
    return waitUntil(
      `[data-testid="${testid}"] to show`,
      async () => {
        for (const id of await this.all(testid)) {
          if (await this.request('GET', this.session(`/element/${id}/displayed`))) return id;
        }
        return null;
      },
      timeoutMs,
    );
  }

  /** Clicks the element once it shows and nothing covers it (a notice may, for a while). */
  async click(testid, timeoutMs = 30_000) {
    await waitUntil(
      `[data-testid="${testid}"] to take a click`,
      async () => {
        const id = await this.visible(testid, timeoutMs);
        try {
          await this.request('POST', this.session(`/element/${id}/click`), {});
          return true;
        } catch (err) {
          if (err.code === 'element click intercepted' || err.code === 'stale element reference') return false;
          throw err;
        }
      },
      timeoutMs,
    );
  }

  /** Clears a field and types `text` into it, key by key, as a person would. */
  async fill(testid, text) {
    const id = await this.visible(testid);
    await this.request('POST', this.session(`/element/${id}/clear`), {});
    await this.request('POST', this.session(`/element/${id}/value`), { text });
  }

  async text(testid) {
    const id = await this.visible(testid);
    return this.request('GET', this.session(`/element/${id}/text`));
  }

  async attribute(testid, name) {
    const [id] = await this.all(testid);
    if (!id) return null;
    return this.request('GET', this.session(`/element/${id}/attribute/${name}`));
  }

  async count(testid) {
    return (await this.all(testid)).length;
  }

  /**
   * Presses keys through the WebDriver actions API: one request holding every
   * key down and up with no pause, delivered by WebKit as real key events to
   * whatever has focus, the way a keyboard-wedge scanner types.
   */
  async typeBurst(keys) {
    const actions = [];
    for (const key of keys) actions.push({ type: 'keyDown', value: key }, { type: 'keyUp', value: key });
    await this.request('POST', this.session('/actions'), { actions: [{ type: 'key', id: 'wedge', actions }] });
    await this.request('DELETE', this.session('/actions'));
  }

  async execute(script, args = []) {
    return this.request('POST', this.session('/execute/sync'), { script, args });
  }
}

/** The Enter key in WebDriver's key codes. */
export const ENTER = '\uE007';
