// How embed.js loads the widget (issue 8): the launcher at once, the bundle when the browser
// is idle or on the first interaction; at once when asked, or for a returning visitor.
const { test, expect } = require('@playwright/test');

const SERVER = `http://127.0.0.1:${process.env.CONFAB_TEST_PORT || 18080}`;

const launcher = (page) => page.locator('confab-widget .launcher');
const panel = (page) => page.locator('confab-widget .panel');

// The browser never idles: only an interaction (or an API call) can start the download.
async function neverIdle(page) {
  await page.addInitScript(() => { window.requestIdleCallback = () => 0; window.cancelIdleCallback = () => {}; });
}
function wasmRequests(page) {
  const seen = [];
  page.on('request', (r) => { if (r.url().endsWith('/confab_bg.wasm')) seen.push(Date.now()); });
  return seen;
}

test.beforeEach(async ({ request }) => {
  await request.fetch(`${SERVER}/control/plura/clear`, { method: 'POST' });
});

test('the launcher is drawn before any wasm; a click before the bundle arrives opens the panel once it has', async ({ page }) => {
  await neverIdle(page);
  const wasm = wasmRequests(page);
  // A slow network for the bundle only.
  await page.route('**/confab_bg.wasm', async (route) => { await new Promise((r) => setTimeout(r, 1500)); await route.continue(); });
  await page.goto('/plura.html');
  await expect(launcher(page)).toBeVisible();
  await expect(launcher(page)).toHaveAttribute('aria-label', 'Open chat');
  expect(await launcher(page).boundingBox()).toMatchObject({ width: 56, height: 56 });
  await page.waitForTimeout(500);
  expect(wasm).toEqual([]); // nothing fetched without idle time or interest
  await launcher(page).click();
  await expect.poll(() => wasm.length).toBe(1);
  await expect(panel(page)).toBeVisible({ timeout: 15_000 });
  await expect(page.locator('confab-widget .message.in').first()).toContainText("I'm Ada");
  expect(await page.locator('confab-widget').count()).toBe(1); // the same host, taken over
  expect(await page.locator('confab-widget .launcher').count()).toBe(1);
});

test('the bundle is fetched when the browser is idle, without any interaction', async ({ page }) => {
  const wasm = wasmRequests(page);
  await page.goto('/plura.html');
  await expect.poll(() => wasm.length, { timeout: 10_000 }).toBe(1);
  await expect(page.locator('confab-widget .confab')).toBeAttached(); // the widget took over
});

test('hovering the launcher starts the download before the click', async ({ page }) => {
  await neverIdle(page);
  const wasm = wasmRequests(page);
  await page.goto('/plura.html');
  await launcher(page).hover();
  await expect.poll(() => wasm.length).toBe(1);
  await expect(page.locator('confab-widget .confab')).toBeAttached();
  await expect(panel(page)).toBeHidden(); // interest is not a click
});

test('a keyboard user who tabbed to the loader\'s launcher keeps focus on the widget\'s own', async ({ page }) => {
  await neverIdle(page);
  // The bundle is held back until the focus is on the loader's launcher.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/confab_bg.wasm', async (route) => { await held; await route.continue(); });
  await page.goto('/plura.html');
  await expect(launcher(page)).toBeVisible();
  await page.keyboard.press('Tab'); // focus is interest: the download starts
  const focused = () => page.evaluate(() => { const a = document.querySelector('confab-widget').shadowRoot.activeElement; return a ? a.className : null; });
  expect(await focused()).toBe('launcher');
  release();
  await expect(page.locator('confab-widget .confab')).toBeAttached({ timeout: 15_000 });
  expect(await focused()).toBe('launcher'); // the widget's launcher, which took the loader's place
  await page.keyboard.press('Enter');
  await expect(panel(page)).toBeVisible();
});

test('a press the bundle takes over before its release is still a click, by mouse and by keyboard', async ({ page }) => {
  await neverIdle(page);
  for (const by of ['mouse', 'keyboard']) {
    let release;
    const held = new Promise((r) => { release = r; });
    await page.unrouteAll();
    await page.route('**/confab_bg.wasm', async (route) => { await held; await route.continue(); });
    await page.goto('/plura.html');
    await expect(launcher(page)).toBeVisible();
    if (by === 'mouse') {
      const box = await launcher(page).boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
    } else {
      await page.keyboard.press('Tab');
      await page.keyboard.down(' ');
    }
    release(); // the widget replaces the loader's launcher while the button is held
    await expect(page.locator('confab-widget .confab')).toBeAttached({ timeout: 15_000 });
    await expect(panel(page)).toBeHidden();
    if (by === 'mouse') await page.mouse.up(); else await page.keyboard.up(' ');
    await expect(panel(page), by).toBeVisible();
    await page.waitForTimeout(300);
    await expect(panel(page), `${by}: opened once, not toggled twice`).toBeVisible();
    expect(await page.evaluate(() => Confab.state)).not.toBe('idle');
    await page.evaluate(() => { localStorage.clear(); sessionStorage.clear(); }); // a new visitor again
  }
  // A press dragged off the launcher and released elsewhere is no click.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.unrouteAll();
  await page.route('**/confab_bg.wasm', async (route) => { await held; await route.continue(); });
  await page.goto('/plura.html');
  const box = await launcher(page).boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  release();
  await expect(page.locator('confab-widget .confab')).toBeAttached({ timeout: 15_000 });
  await page.mouse.move(100, 100);
  await page.mouse.up();
  await page.waitForTimeout(300);
  await expect(panel(page)).toBeHidden();
});

test('data-preload="eager" and a returning visitor fetch the bundle at once', async ({ page }) => {
  await neverIdle(page);
  const wasm = wasmRequests(page);
  await page.goto('/plura-eager.html');
  await expect.poll(() => wasm.length).toBe(1);
  await launcher(page).click();
  await expect(page.locator('confab-widget .message.in').first()).toContainText("I'm Ada");
  // Now a returning visitor on the plain page: reconnects without any interaction.
  await page.goto('/plura.html');
  await expect.poll(() => wasm.length).toBe(2);
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
});

test('destroy() before the bundle loads removes the launcher and nothing is fetched', async ({ page }) => {
  await neverIdle(page);
  const wasm = wasmRequests(page);
  await page.goto('/plura.html');
  await expect(launcher(page)).toBeVisible();
  await page.evaluate(() => Confab.destroy());
  await expect(page.locator('confab-widget')).toHaveCount(0);
  await page.evaluate(() => Confab.open());
  await page.waitForTimeout(800);
  expect(wasm).toEqual([]);
});

test('from a server without CORS headers the bundle comes as one classic script, page actions included', async ({ page, request }) => {
  await request.fetch(`${SERVER}/control/iraa/clear`, { method: 'POST' });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const asked = [];
  page.on('request', (r) => { if (r.url().includes('/plain-dist/')) asked.push(r.url().split('/plain-dist/')[1]); });
  const cors = [];
  page.on('response', (r) => { if (r.url().includes('/plain-dist/')) cors.push(r.headers()['access-control-allow-origin'] || null); });
  await page.goto('/iraa-no-cors.html');
  const before = await page.evaluate(() => Object.getOwnPropertyNames(window).length);
  await page.evaluate(() => { window.acts = []; Confab.on('action', (a) => window.acts.push(a)); });
  await launcher(page).click();
  await expect(page.locator('confab-widget .message.in').first()).toContainText("I'm Iris", { timeout: 15_000 });
  // The agent drives the page: the page-actions module came inside the classic script.
  await page.locator('confab-widget textarea').fill('click the details');
  await page.locator('confab-widget textarea').press('Enter');
  await expect(page.locator('#clicked')).toBeVisible();
  expect(await page.evaluate(() => window.acts)).toEqual([{ action: 'click', selector: '#details', ok: true }]);
  // confab.js was asked for and refused (no CORS header); the wasm was never fetched on its own.
  expect(asked).toEqual(['embed.js', 'confab.js', 'confab-classic.js']);
  expect(cors.length).toBeGreaterThan(1);
  expect(cors.every((h) => h === null)).toBe(true);
  // No global beyond window.Confab (and the test's own `acts`), and the script element is gone.
  expect(await page.evaluate(() => Object.getOwnPropertyNames(window).length)).toBe(before + 1);
  expect(await page.evaluate(() => [...document.scripts].map((s) => s.src.split('/').pop()))).toEqual(['host-page.js', 'embed.js']);
  expect(errors).toEqual([]);
});
