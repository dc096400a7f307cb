// The chat UI of issue 6, as a visitor and as a screen-reader or keyboard user would meet it:
// Markdown, streaming without flicker, announcements, keyboard, mobile, themes, hostile host
// CSS, axe-core, long conversations, times and day separators, the chime. Screenshots of the
// real widget for the README are written to docs/screenshots/.
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const path = require('path');

const SERVER = `http://127.0.0.1:${process.env.CONFAB_TEST_PORT || 18080}`;
const ROOT = path.resolve(__dirname, '..', '..');
const SHOTS = path.join(ROOT, 'docs', 'screenshots');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function control(request, method, route, data) {
  const res = await request.fetch(`${SERVER}/control${route}`, { method, data });
  expect(res.ok(), `${method} /control${route}`).toBeTruthy();
  return res.status() === 204 ? null : res.json();
}
const say = (request, text) => control(request, 'POST', `/plura/say?text=${encodeURIComponent(text)}`);

const w = (page) => ({
  root: page.locator('confab-widget .confab'),
  launcher: page.locator('confab-widget .launcher'),
  panel: page.locator('confab-widget .panel'),
  input: page.locator('confab-widget textarea'),
  list: page.locator('confab-widget ol.messages'),
  incoming: page.locator('confab-widget .message.in'),
  outgoing: page.locator('confab-widget .message.out'),
  live: page.locator('confab-widget .sr-only'),
  latest: page.locator('confab-widget .latest'),
  days: page.locator('confab-widget li.day'),
});
const shadow = (page, fn, arg) =>
  page.evaluate(([f, a]) => new Function('root', 'arg', `return (${f})(root, arg)`)(document.querySelector('confab-widget').shadowRoot, a), [fn.toString(), arg]);

const MARKDOWN = [
  'Here is **bold**, *emphasis*, ~~gone~~ and `inline code`, see [the docs](https://example.com/docs).',
  '',
  '- first point',
  '- second point',
  '',
  '1. step one',
  '2. step two',
  '',
  '```js',
  'const answer = 42;',
  '```',
  '',
  '| Plan | Price |',
  '|:-----|------:|',
  '| Free | $0 |',
  '| Pro | $29 |',
  '',
  '[a trap](javascript:alert(1)) and <img src=x onerror="window.pwned=1">',
].join('\n');

test.beforeEach(async ({ request }) => {
  await control(request, 'POST', '/plura/clear');
  await control(request, 'POST', '/plati/clear');
  await control(request, 'POST', '/poly/clear');
});

test('Markdown from the agent becomes formatted DOM; links are safe; code has a working copy button', async ({ page, context, request }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/plura.html');
  await w(page).launcher.click();
  await expect(w(page).incoming.first()).toBeVisible();
  await say(request, MARKDOWN);
  const msg = w(page).incoming.last();
  await expect(msg.locator('strong')).toHaveText('bold');
  await expect(msg.locator('em')).toHaveText('emphasis');
  await expect(msg.locator('s')).toHaveText('gone');
  await expect(msg.locator('p code')).toHaveText('inline code');
  await expect(msg.locator('ul > li')).toHaveText(['first point', 'second point']);
  await expect(msg.locator('ol > li')).toHaveText(['step one', 'step two']);
  await expect(msg.locator('pre code')).toHaveText('const answer = 42;');
  await expect(msg.locator('th')).toHaveText(['Plan', 'Price']);
  await expect(msg.locator('td')).toHaveText(['Free', '$0', 'Pro', '$29']);
  await expect(msg.locator('td').nth(1)).toHaveClass('right');
  const link = msg.locator('a');
  await expect(link).toHaveCount(1);
  await expect(link).toHaveAttribute('href', 'https://example.com/docs');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(msg).toContainText('a trap');
  await expect(msg).toContainText('<img src=x onerror="window.pwned=1">');
  expect(await msg.locator('img').count()).toBe(0);
  expect(await page.evaluate(() => window.pwned)).toBeUndefined();

  await msg.locator('button.copy').click();
  await expect(msg.locator('button.copy')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('const answer = 42;');
  await expect(msg.locator('button.copy')).toHaveText('Copy', { timeout: 5000 });
});

test('a streamed Markdown answer never shows raw markers, is busy while it streams and is announced once, complete', async ({ page, request }) => {
  await control(request, 'POST', '/plati/config', { delay_ms: 40, chunking: 'token' });
  await page.goto('/plati.html');
  await w(page).launcher.click();
  await expect(w(page).panel).toBeVisible(); // the bundle has taken over
  await shadow(page, (root) => {
    window.frames_seen = [];
    window.announced = [];
    window.busy_seen = false;
    const live = root.querySelector('.sr-only');
    new MutationObserver(() => {
      for (const t of root.querySelectorAll('.message.in .text')) window.frames_seen.push(t.textContent);
      if (root.querySelector('ol.messages').getAttribute('aria-busy') === 'true') window.busy_seen = true;
    }).observe(root.querySelector('ol.messages'), { subtree: true, childList: true, characterData: true, attributes: true });
    new MutationObserver(() => { if (live.textContent) window.announced.push(live.textContent); })
      .observe(live, { subtree: true, childList: true, characterData: true });
  });
  await w(page).input.fill('a **bold claim** with `some code` and [a link](https://example.com/x) inside');
  await w(page).input.press('Enter');
  const answer = w(page).incoming.last();
  await expect(answer).toHaveAttribute('data-status', 'received', { timeout: 20_000 });
  await expect(answer.locator('strong')).toHaveText('bold claim');
  await expect(answer.locator('code')).toHaveText('some code');
  await expect(answer.locator('a')).toHaveAttribute('href', 'https://example.com/x');
  const seen = await page.evaluate(() => window.frames_seen);
  expect(seen.length).toBeGreaterThan(5); // it really streamed
  for (const text of seen) {
    expect(text).not.toContain('**');
    expect(text).not.toContain('`');
    expect(text).not.toContain('](');
  }
  expect(await page.evaluate(() => window.busy_seen)).toBe(true);
  await expect(w(page).list).toHaveAttribute('aria-busy', 'false');
  const announced = await page.evaluate(() => window.announced);
  expect(announced).toEqual(['You said: a bold claim with some code and a link inside']);
  await expect(w(page).live).toHaveAttribute('aria-live', 'polite');
});

test('keyboard only: Tab reaches the launcher, Enter opens, Shift+Enter adds a line, Enter sends, Escape closes and returns focus', async ({ page }) => {
  await page.goto('/plura.html');
  await expect(w(page).launcher).toBeVisible();
  const active = () => shadow(page, (root) => root.activeElement && (root.activeElement.className || root.activeElement.tagName));
  await page.keyboard.press('Tab');
  expect(await active()).toBe('launcher');
  await page.keyboard.press('Enter');
  await expect(w(page).panel).toBeVisible();
  await expect.poll(active).toBe('TEXTAREA');
  await page.keyboard.type('first line');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('second line');
  await page.keyboard.press('Enter');
  await expect(w(page).outgoing.last().locator('.text')).toHaveText('first line\nsecond line');
  await expect(w(page).input).toHaveValue('');
  await page.keyboard.press('Tab');
  expect(await active()).toBe('send');
  await page.keyboard.press('Escape');
  await expect(w(page).panel).toBeHidden();
  expect(await active()).toBe('launcher');
});

test('mobile: full screen under 480 px, sized to the visual viewport, the page behind does not scroll, no input zoom', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto('/plura-mobile.html');
  await w(page).launcher.tap();
  await expect(w(page).panel).toBeVisible();
  let box = await w(page).panel.boundingBox();
  expect(box).toMatchObject({ x: 0, y: 0, width: 375, height: 667 });
  await expect(w(page).launcher).toBeHidden(); // the panel's own close button takes over
  expect(await page.evaluate(() => getComputedStyle(document.documentElement).overflow)).toBe('hidden');
  expect(parseFloat(await w(page).input.evaluate((el) => getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(16);
  // An on-screen keyboard shrinks the visual viewport: the composer stays above it.
  await page.setViewportSize({ width: 375, height: 380 });
  await expect.poll(async () => (await w(page).panel.boundingBox()).height).toBe(380);
  const composer = await page.locator('confab-widget .composer').boundingBox();
  expect(composer.y + composer.height).toBeLessThanOrEqual(380);
  await page.locator('confab-widget .close').tap();
  await expect(w(page).panel).toBeHidden();
  expect(await page.evaluate(() => getComputedStyle(document.documentElement).overflow)).toBe('visible');
  await context.close();
});

test('data-render-mode="fullscreen": the panel covers a desktop viewport and the long page behind stays still', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto('/plura-full.html');
  await w(page).launcher.click();
  expect(await w(page).panel.boundingBox()).toMatchObject({ x: 0, y: 0, width: 1280, height: 800 });
  await page.mouse.wheel(0, 1500);
  await page.waitForTimeout(200);
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  await page.keyboard.press('Escape');
  await page.mouse.wheel(0, 1500);
  await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
});

test('themes: auto follows prefers-color-scheme, reduced motion turns animation off', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'no-preference' });
  await page.goto('/plura.html');
  await w(page).launcher.click();
  const bg = () => w(page).panel.evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(await bg()).toBe('rgb(23, 26, 33)');
  expect(await w(page).panel.evaluate((el) => getComputedStyle(el).animationName)).toBe('confab-rise');
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  expect(await bg()).toBe('rgb(255, 255, 255)');
  expect(await w(page).panel.evaluate((el) => getComputedStyle(el).animationName)).toBe('none');
});

test('hostile host CSS cannot hide or restyle the widget, and the widget does not restyle the page', async ({ page }) => {
  await page.goto('/plura-hostile.html');
  const h1Before = await page.locator('#title').evaluate((el) => getComputedStyle(el).fontSize + getComputedStyle(el).fontFamily);
  await expect(w(page).launcher).toBeVisible();
  await expect(page.locator('confab-widget .confab')).toBeAttached(); // the bundle took over (idle)
  expect(await w(page).launcher.boundingBox()).toMatchObject({ width: 56, height: 56 });
  await w(page).launcher.click();
  await expect(w(page).panel).toBeVisible();
  await expect(w(page).incoming.first()).toBeVisible();
  const look = await shadow(page, (root) => {
    const s = (sel) => getComputedStyle(root.querySelector(sel));
    return { font: s('textarea').fontFamily, color: s('.message.in .text').color, opacity: getComputedStyle(root.host).opacity,
      transform: getComputedStyle(root.host).transform, events: getComputedStyle(root.host).pointerEvents };
  });
  expect(look.font).not.toContain('Comic');
  expect(look.color).not.toBe('rgb(255, 0, 0)');
  expect(look).toMatchObject({ opacity: '1', transform: 'none', events: 'auto' });
  await w(page).input.fill('still works');
  await w(page).input.press('Enter');
  await expect(w(page).outgoing.last()).toContainText('still works');
  expect(await page.locator('#title').evaluate((el) => getComputedStyle(el).fontSize + getComputedStyle(el).fontFamily)).toBe(h1Before);
});

// axe-core on the open panel with every kind of content, in four looks; each look is also
// the README's screenshot.
for (const look of [
  { name: 'light', url: '/plura.html', scheme: 'light', viewport: { width: 900, height: 760 } },
  { name: 'dark', url: '/plura.html', scheme: 'dark', viewport: { width: 900, height: 760 } },
  { name: 'rtl', url: '/plura-ar.html', scheme: 'light', viewport: { width: 900, height: 760 } },
  { name: 'mobile', url: '/plura.html', scheme: 'light', viewport: { width: 390, height: 760 } },
]) {
  test(`axe-core finds no violations in the ${look.name} panel`, async ({ page, request }) => {
    await page.setViewportSize(look.viewport);
    await page.emulateMedia({ colorScheme: look.scheme, reducedMotion: 'reduce' });
    await page.goto(look.url);
    await w(page).launcher.click();
    await expect(w(page).incoming.first()).toBeVisible();
    await w(page).input.fill(look.name === 'rtl' ? 'مرحبا' : 'What does it cost?');
    await w(page).input.press('Enter');
    await expect(w(page).incoming).toHaveCount(2);
    await say(request, 'Our plans:\n\n- **Free**: 1 seat\n- **Pro**: `$29`/month, [details](https://example.com/pricing)\n\n```\nconfab --help\n```');
    await expect(w(page).incoming).toHaveCount(3);
    await page.addScriptTag({ content: AXE });
    const result = await page.evaluate(() => axe.run({ include: [['confab-widget']] }, { resultTypes: ['violations'] }));
    const summary = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' > ')).join(', ')})`);
    expect(summary).toEqual([]);
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${look.name}.png`) });
  });
}

test('5 000 messages: the DOM holds a bounded window, older ones load on scrolling up, "jump to latest" brings the newest back', async ({ page, request }) => {
  await page.goto('/poly.html');
  await w(page).launcher.click();
  await expect(w(page).incoming.first()).toBeVisible({ timeout: 15_000 });
  await expect(w(page).incoming.first()).toHaveAttribute('data-status', 'received', { timeout: 15_000 });
  await control(request, 'POST', '/poly/history?count=5000');
  const started = Date.now();
  await page.reload();
  await page.evaluate(() => Confab.open());
  await expect(w(page).incoming.last()).toContainText('History message 5000 of 5000', { timeout: 30_000 });
  console.log(`5 000 replayed messages on screen ${Date.now() - started} ms after the reload`);
  const rows = () => page.locator('confab-widget ol.messages > li').count();
  expect(await rows()).toBeLessThanOrEqual(160);
  // Scroll up a few times: older messages come in above, the DOM stays bounded.
  const firstText = () => shadow(page, (root) => root.querySelector('.message .text').textContent);
  const before = await firstText();
  for (let i = 0; i < 8; i += 1) {
    await shadow(page, (root) => { root.querySelector('ol.messages').scrollTop = 0; });
    await page.waitForTimeout(150);
  }
  const after = await firstText();
  const n = (s) => Number((s.match(/History message (\d+)/) || [0, 99999])[1]);
  expect(n(after)).toBeLessThan(n(before));
  expect(await rows()).toBeLessThanOrEqual(160);
  await expect(w(page).latest).toBeVisible();
  // A new message while reading old ones: counted on the button, not scrolled into view.
  await control(request, 'POST', '/poly/history?count=1&live=true');
  await expect(w(page).latest).toContainText('(1)');
  await w(page).latest.click();
  await expect(w(page).incoming.last()).toContainText('History message 1 of 1');
  await expect(w(page).incoming.last()).toBeInViewport();
  await expect(w(page).latest).toBeHidden();
  expect(await rows()).toBeLessThanOrEqual(160);
});

test('times and day separators in the visitor\'s locale: today, then yesterday after a night', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'es-ES', timezoneId: 'Europe/Madrid' });
  const page = await context.newPage();
  await page.clock.install({ time: new Date('2026-11-20T10:15:00+01:00') });
  await page.goto('/plura.html');
  await w(page).launcher.click();
  await expect(w(page).incoming.first()).toBeVisible();
  await expect(w(page).days).toHaveText(['hoy']);
  await expect(w(page).incoming.first().locator('time')).toHaveText('10:15');
  await page.clock.setSystemTime(new Date('2026-11-21T09:05:00+01:00'));
  await page.reload();
  await page.evaluate(() => Confab.open());
  await expect(w(page).days.first()).toHaveText('ayer');
  await w(page).input.fill('hola');
  await w(page).input.press('Enter');
  await expect(w(page).days).toHaveText(['ayer', 'hoy']);
  await expect(w(page).outgoing.last().locator('time')).toHaveText('9:05');
  await context.close();
});

test('the chime is off by default; when on, it plays once for a message shown in two tabs', async ({ browser, request }) => {
  // Counts the chime's tones: every tone is one oscillator.
  const counting = async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      window.chimes = 0;
      const original = AudioContext.prototype.createOscillator;
      AudioContext.prototype.createOscillator = function (...a) { window.chimes += 1; return original.apply(this, a); };
    });
    return context;
  };
  const quietContext = await counting();
  const quiet = await quietContext.newPage();
  await quiet.goto('/poly.html');
  await w(quiet).launcher.click();
  await expect(w(quiet).incoming.first()).toHaveAttribute('data-status', 'received', { timeout: 15_000 });
  await w(quiet).launcher.click(); // closed: a chime would be due, if it were on
  await control(request, 'POST', '/poly/history?count=1&live=true');
  await expect(w(quiet).launcher.locator('.badge')).toHaveText('1');
  expect(await quiet.evaluate(() => window.chimes)).toBe(0);
  await quietContext.close();
  await control(request, 'POST', '/poly/clear');

  const context = await counting();
  const one = await context.newPage();
  await one.goto('/poly-sound.html');
  await w(one).launcher.click();
  await expect(w(one).incoming.first()).toHaveAttribute('data-status', 'received', { timeout: 15_000 });
  await w(one).launcher.click();
  const two = await context.newPage(); // the same conversation in a second tab
  await two.goto('/poly-sound.html');
  await expect(w(two).incoming.first()).toBeAttached();
  await expect.poll(async () => (await control(request, 'GET', '/poly/connects')).length).toBe(2);
  await control(request, 'POST', '/poly/history?count=1&live=true');
  await expect(w(one).launcher.locator('.badge')).toHaveText('1');
  await expect(w(two).launcher.locator('.badge')).toHaveText('1');
  const total = (await one.evaluate(() => window.chimes)) + (await two.evaluate(() => window.chimes));
  expect(total).toBe(2); // one chime of two tones, in one tab only
  await context.close();
});
