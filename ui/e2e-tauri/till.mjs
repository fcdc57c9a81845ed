// End-to-end test of the real Tauri app (WebKitGTK, under Xvfb) driven through
// tauri-driver and WebKitWebDriver: a real hub on a free port, the app with its
// data in a temporary folder; enrol on the start screen, add a shop location
// and a product with a barcode on the manager screen, scan it at the till with
// a keyboard-wedge burst, take cash, and find the sale in the hub's database.
//
// Run by `cargo xtask tauri-e2e` (and `cargo xtask ci`), which builds the app
// and the hub first. Binaries: STOCKROOM_APP_BIN, STOCKROOM_HUB_BIN (default:
// the debug builds in CARGO_TARGET_DIR or target/), TAURI_DRIVER (default:
// `tauri-driver` on the PATH, else ~/.cargo/bin). The app keeps its hub session
// in the kernel session keyring: run it where there is one (the xtask joins a
// new one first).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENTER, WebDriver, waitUntil } from './webdriver.mjs';

const uiDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = resolve(uiDir, '..');
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repoDir, 'target');
const appBin = process.env.STOCKROOM_APP_BIN ?? join(targetDir, 'debug', 'stockroom');
const hubBin = process.env.STOCKROOM_HUB_BIN ?? join(targetDir, 'debug', 'stockroom-server');
const screenshotDir = join(uiDir, 'e2e', 'screenshots');
const OWNER = { username: 'owner', password: 'owner-password-1' };
const PRODUCT = { name: 'Oat biscuits 300 g', sku: 'BIS-OAT', price: '2.40', barcode: '4006381333931' };

function tauriDriverBin() {
  if (process.env.TAURI_DRIVER) return process.env.TAURI_DRIVER;
  const inCargoHome = join(process.env.CARGO_HOME ?? join(homedir(), '.cargo'), 'bin', 'tauri-driver');
  return existsSync(inCargoHome) ? inCargoHome : 'tauri-driver';
}

async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A child process whose output is kept for the failure message. */
function startProcess(name, program, args, env) {
  const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { name, child, output: '' };
  child.stdout.on('data', (chunk) => (proc.output += chunk));
  child.stderr.on('data', (chunk) => (proc.output += chunk));
  child.on('error', (err) => (proc.output += `\ncannot start ${program}: ${err.message}`));
  return proc;
}

async function answers(proc, url) {
  await waitUntil(`${proc.name} at ${url}`, async () => {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited (${proc.child.exitCode}):\n${proc.output}`);
    const response = await fetch(url).catch(() => null);
    return response !== null && response.status < 500;
  }, 60_000, 100);
}

function stop(proc) {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    proc.child.once('exit', () => resolveStop());
    proc.child.kill('SIGTERM');
    setTimeout(() => proc.child.exitCode === null && proc.child.kill('SIGKILL'), 5000);
  });
}

/** The sales the hub accepted, from its SQLite file (as an operator would look). */
function hubSales(dbPath) {
  const out = execFileSync(
    'sqlite3',
    ['-json', dbPath, "SELECT payload FROM op_log WHERE op_type = 'sale.completed' AND outcome = 'applied'"],
    { encoding: 'utf8' },
  );
  return out.trim() ? JSON.parse(out).map((row) => JSON.parse(row.payload)) : [];
}

async function main() {
  for (const [what, path] of [['the app', appBin], ['the hub', hubBin]]) {
    if (!existsSync(path)) throw new Error(`${what} is not built at ${path}`);
  }
  if (!process.env.DISPLAY) throw new Error('no DISPLAY: run under xvfb-run -a');
  const scratch = mkdtempSync(join(tmpdir(), 'stockroom-tauri-e2e-'));
  const hubDb = join(scratch, 'hub.db');
  const dataDir = join(scratch, 'device');
  const hubPort = await freePort();
  const hubUrl = `http://127.0.0.1:${hubPort}`;
  let hub = null;
  let driverProc = null;
  const driver = new WebDriver('');
  try {
    hub = startProcess('the hub', hubBin, ['--database-url', hubDb, '--listen', `127.0.0.1:${hubPort}`], {
      STOCKROOM_BOOTSTRAP_USERNAME: OWNER.username,
      STOCKROOM_BOOTSTRAP_PASSWORD: OWNER.password,
      STOCKROOM_BOOTSTRAP_TENANT: 'Shop',
      RUST_LOG: 'warn',
    });
    await answers(hub, `${hubUrl}/healthz`);

    // tauri-driver starts WebKitWebDriver, which starts the app: the app's
    // environment (its data folder) is the driver's.
    const [driverPort, nativePort] = [await freePort(), await freePort()];
    driverProc = startProcess('tauri-driver', tauriDriverBin(), ['--port', String(driverPort), '--native-port', String(nativePort)], {
      STOCKROOM_DATA_DIR: dataDir,
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
    });
    driver.url = `http://127.0.0.1:${driverPort}`;
    await answers(driverProc, `${driver.url}/status`);
    await driver.start(appBin);
    console.log('tauri-e2e: the app is up');

    // Enrol on the start screen as the hub's owner; the manager screen opens.
    await driver.visible('enrol-form', 60_000);
    await driver.fill('enrol-hub', hubUrl);
    await driver.fill('enrol-username', OWNER.username);
    await driver.fill('enrol-password', OWNER.password);
    await driver.fill('enrol-pin', '1234');
    await driver.click('enrol-submit');
    await driver.visible('manager-screen', 60_000);
    console.log('tauri-e2e: enrolled');

    // A shop location to sell from, and a product with a barcode.
    await driver.click('manage-tab-locations');
    await driver.fill('new-location-name', 'Shop floor');
    await driver.click('new-location-save');
    await waitUntil('the new location in the list', async () => (await driver.count('location-row')) === 1);
    await driver.click('manage-tab-products');
    await driver.fill('product-name', PRODUCT.name);
    await driver.fill('product-sku', PRODUCT.sku);
    await driver.fill('product-price', PRODUCT.price);
    await driver.fill('product-barcode', PRODUCT.barcode);
    await driver.click('product-save');
    await waitUntil('the product saved', async () => (await driver.text('notice')).includes(PRODUCT.name));
    console.log('tauri-e2e: location and product made');

    // The till: a wedge scan (digits and Enter in one burst) puts it in the cart.
    await driver.click('nav-sell');
    await driver.visible('sale-screen');
    await driver.typeBurst([...PRODUCT.barcode, ENTER]);
    await waitUntil('the scanned line in the cart', async () => (await driver.count('line')) === 1, 15_000);
    await waitUntil('the total', async () => (await driver.text('sale-total')).includes('2.40'));

    // Cash, exactly what is owed (an empty amount pays the rest), then complete.
    await driver.click('pay-add');
    await waitUntil('nothing left to pay', async () => (await driver.text('pay-remaining')).includes('0.00'));
    await driver.click('sale-complete');
    await driver.visible('receipt');
    const receiptNumber = (await driver.text('receipt-number')).trim();
    console.log(`tauri-e2e: sold, receipt ${receiptNumber}`);
    mkdirSync(screenshotDir, { recursive: true });
    const screenshot = join(screenshotDir, 'tauri-app-receipt.png');
    execFileSync('import', ['-window', 'root', screenshot]);

    // The sale reaches the hub (tapping the sync badge as a person would).
    const sales = await waitUntil(
      'the sale on the hub',
      async () => {
        const found = hubSales(hubDb);
        if (found.length === 0) await driver.click('sync-badge').catch(() => {});
        return found.length > 0 ? found : null;
      },
      60_000,
      1_000,
    );
    if (sales.length !== 1) throw new Error(`expected one sale on the hub, found ${sales.length}`);
    const payload = JSON.stringify(sales[0]);
    if (!payload.includes(receiptNumber)) throw new Error(`the hub's sale is not receipt ${receiptNumber}: ${payload}`);
    console.log(`tauri-e2e: the hub has sale ${receiptNumber}; screenshot ${screenshot}`);
  } catch (err) {
    if (hub) console.error(`--- the hub's output:\n${hub.output}`);
    if (driverProc) console.error(`--- tauri-driver's and the app's output:\n${driverProc.output}`);
    throw err;
  } finally {
    await driver.quit().catch(() => {});
    await stop(driverProc);
    await stop(hub);
    rmSync(scratch, { recursive: true, force: true });
  }
}

// Exits when done: a WebKit process still closing must not keep the run open.
main().then(
  () => {
    console.log('tauri-e2e: passed');
    process.exit(0);
  },
  (err) => {
    console.error(`tauri-e2e: FAILED: ${err.stack ?? err}`);
    process.exit(1);
  },
);
