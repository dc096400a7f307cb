// The Plura user story of issue 2, as a visitor on a plain host page of another origin.
const { test, expect } = require('@playwright/test');
const { spawn } = require('child_process');
const path = require('path');

const SERVER = `http://127.0.0.1:${process.env.CONFAB_TEST_PORT || 18080}`;
const ROOT = path.resolve(__dirname, '..', '..');

async function control(request, method, route) {
  const res = await request.fetch(`${SERVER}/control${route}`, { method });
  expect(res.ok(), `${method} /control${route}`).toBeTruthy();
  return res.status() === 204 ? null : res.json();
}

const frames = (request) => control(request, 'GET', '/plura/frames');
const connections = (request) => control(request, 'GET', '/plura/connections');
const violations = (request) => control(request, 'GET', '/plura/violations');

// Locators pierce the open shadow root.
const widget = (page) => ({
  launcher: page.locator('confab-widget .launcher'),
  panel: page.locator('confab-widget .panel'),
  title: page.locator('confab-widget .title'),
  avatar: page.locator('confab-widget .avatar'),
  banner: page.locator('confab-widget .banner'),
  input: page.locator('confab-widget textarea'),
  messages: page.locator('confab-widget .message'),
  incoming: page.locator('confab-widget .message.in'),
  outgoing: page.locator('confab-widget .message.out'),
});

test.beforeEach(async ({ request }) => {
  await control(request, 'POST', '/plura/clear');
});

test.afterEach(async ({ request }) => {
  // Every frame any test sent must follow PROTOCOLS.md §1 exactly.
  expect(await violations(request)).toEqual([]);
});

test('a visitor chats: bubble, owner, greeting, sent then delivered, agent answers', async ({ page, request }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/plura.html');
  const w = widget(page);

  await expect(w.launcher).toBeVisible();
  await expect(page.locator('confab-widget .confab')).toBeAttached(); // the bundle took over (idle)
  const box = await w.launcher.boundingBox();
  const vp = page.viewportSize();
  expect(box.x + box.width).toBeGreaterThan(vp.width - 40);
  expect(box.y + box.height).toBeGreaterThan(vp.height - 40);
  await expect(w.panel).toBeHidden();
  expect(await page.evaluate(() => document.querySelector('confab-widget').shadowRoot !== null)).toBe(true);

  await w.launcher.click();
  await expect(w.panel).toBeVisible();
  await expect(w.title).toHaveText('Ada at Acme');
  await expect(w.avatar).toHaveAttribute('src', /\/avatar\.svg$/);
  await expect(w.incoming.first()).toContainText("Hi! I'm Ada");
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');

  await w.input.fill('hello there');
  await w.input.press('Enter');
  const mine = w.outgoing.last();
  await expect(mine).toContainText('hello there');
  await expect(mine).toHaveAttribute('data-status', 'delivered');
  await expect(w.incoming.last()).toContainText('Hello! What would you like to know about Acme?');
  await expect(w.input).toHaveValue('');

  // Shift+Enter is a new line, not a send.
  await w.input.fill('line one');
  await w.input.press('Shift+Enter');
  await w.input.type('line two');
  expect(await w.input.inputValue()).toBe('line one\nline two');
  await w.input.press('Enter');
  await expect(w.outgoing.last()).toHaveAttribute('data-status', 'delivered');

  const sent = (await frames(request)).map((f) => JSON.parse(f.raw));
  const messages = sent.filter((f) => f.type === 'message').map((f) => f.message);
  expect(messages).toEqual(['hello there', 'line one\nline two']);
  expect(sent.some((f) => f.type === 'typing' && f.message === true)).toBe(true);
  expect(errors).toEqual([]);
});

test('reloading resumes the same session and brings the transcript back', async ({ page, request }) => {
  await page.goto('/plura.html');
  const w = widget(page);
  await w.launcher.click();
  await expect(w.incoming.first()).toContainText("Hi! I'm Ada");
  await w.input.fill('remember me');
  await w.input.press('Enter');
  await expect(w.outgoing.last()).toHaveAttribute('data-status', 'delivered');
  await expect(w.incoming).toHaveCount(2);

  const first = await connections(request);
  expect(first).toHaveLength(1);
  expect(first[0].path).toMatch(/\/session\/null\/r\/true$/);
  const session = first[0].session;
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('confab:')));
  expect(stored).toContain('confab:plura:87f66d6d-dba9-4a44-9274-02c6927a083a:session');

  await page.reload();
  // The panel was open when the visitor left, so it is open again, with the same messages.
  await expect(w.panel).toBeVisible();
  await expect(w.messages).toHaveCount(3);
  await expect(w.outgoing.first()).toContainText('remember me');
  await expect.poll(async () => (await connections(request)).length).toBe(2);
  const second = (await connections(request))[1];
  expect(second.path).toBe(`/plura/webchat/flow/87f66d6d-dba9-4a44-9274-02c6927a083a/session/${session}/r/true`);
  expect(second.resumed).toBe(true);
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
  await expect(w.messages).toHaveCount(3);
});

test('heartbeats: first 15 s after open, then every 15 s, stamped like the vendor client across DST', async ({ browser, request }) => {
  const context = await browser.newContext({ timezoneId: 'America/New_York' });
  const page = await context.newPage();
  // 2026-03-08 in New York: clocks jump from 02:00 EST to 03:00 EDT at 07:00 UTC.
  await page.clock.install({ time: new Date('2026-03-08T06:59:00Z') });
  await page.clock.pauseAt(new Date('2026-03-08T06:59:40Z'));
  await page.goto('/plura.html');
  const w = widget(page);
  await w.launcher.click();
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');

  const heartbeats = async () => (await frames(request)).map((f) => JSON.parse(f.raw)).filter((f) => f.type === 'heartbeat');
  await page.clock.runFor(14_900);
  await page.waitForTimeout(300);
  expect(await heartbeats()).toEqual([]);

  await page.clock.runFor(100);
  await expect.poll(async () => (await heartbeats()).length).toBe(1);
  await page.clock.runFor(15_000);
  await expect.poll(async () => (await heartbeats()).length).toBe(2);
  await page.clock.runFor(15_000);
  await expect.poll(async () => (await heartbeats()).length).toBe(3);

  // What the vendor's browser client computes for the same instants in the same zone.
  const expected = await page.evaluate(() => [15_000, 30_000, 45_000].map((dt) => {
    const now = new Date(Date.parse('2026-03-08T06:59:40Z') + dt);
    const offset = -now.getTimezoneOffset();
    const h = Math.floor(Math.abs(offset) / 60);
    const m = Math.abs(offset) % 60;
    const tz = `${offset >= 0 ? '+' : '-'}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
    return JSON.stringify({ message: { stamp: now.toISOString().slice(0, 19), tz }, type: 'heartbeat' });
  }));
  const raw = (await frames(request)).filter((f) => f.raw.includes('"heartbeat"')).map((f) => f.raw);
  expect(raw).toEqual(expected);
  expect(raw[0]).toContain('"stamp":"2026-03-08T06:59:55","tz":"-05:00"');
  expect(raw[1]).toContain('"stamp":"2026-03-08T07:00:10","tz":"-04:00"');
  await context.close();
});

for (const [zone, tz] of [['Asia/Kolkata', '+05:30'], ['Pacific/Marquesas', '-09:30'], ['Pacific/Kiritimati', '+14:00'], ['UTC', '+00:00'], ['Asia/Dubai', '+04:00']]) {
  test(`heartbeat tz in ${zone} is ${tz}`, async ({ browser, request }) => {
    const context = await browser.newContext({ timezoneId: zone });
    const page = await context.newPage();
    await page.clock.install({ time: new Date('2026-07-01T12:00:00Z') });
    await page.clock.pauseAt(new Date('2026-07-01T12:00:05Z'));
    await page.goto('/plura.html');
    await widget(page).launcher.click();
    await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
    await page.clock.runFor(15_000);
    await expect.poll(async () => (await frames(request)).filter((f) => f.raw.includes('heartbeat')).length).toBe(1);
    const hb = (await frames(request)).find((f) => f.raw.includes('heartbeat'));
    expect(hb.raw).toBe(`{"message":{"stamp":"2026-07-01T12:00:20","tz":"${tz}"},"type":"heartbeat"}`);
    await context.close();
  });
}

test('the server goes away: reconnecting is shown, messages typed meanwhile arrive once, in order', async ({ page, request }) => {
  await page.goto('/plura.html');
  const w = widget(page);
  await w.launcher.click();
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');

  await control(request, 'POST', '/refuse?seconds=4');
  await control(request, 'POST', '/drop');
  await expect(w.banner).toHaveText('Reconnecting…');
  expect(await page.evaluate(() => Confab.state)).toBe('reconnecting');

  await w.input.fill('typed while down 1');
  await w.input.press('Enter');
  await w.input.fill('typed while down 2');
  await w.input.press('Enter');
  await expect(w.outgoing.nth(0)).toHaveAttribute('data-status', 'pending');

  await expect.poll(() => page.evaluate(() => Confab.state), { timeout: 30_000 }).toBe('open');
  await expect(w.banner).toBeHidden();
  await expect(w.outgoing.nth(1)).toHaveAttribute('data-status', 'delivered');
  await expect(w.outgoing.nth(0)).toHaveAttribute('data-status', 'delivered');
  const sent = (await frames(request)).map((f) => JSON.parse(f.raw)).filter((f) => f.type === 'message');
  expect(sent.map((f) => f.message)).toEqual(['typed while down 1', 'typed while down 2']);
  const conns = await connections(request);
  expect(new Set(conns.map((c) => c.session)).size).toBe(1);
  expect(conns.length).toBeGreaterThanOrEqual(2);
});

test('a real server restart: reconnecting, then the conversation carries on', async ({ page }) => {
  const port = 18082;
  const start = () => spawn(path.join(ROOT, 'target/debug/devserver'), ['--port', String(port), '--www', path.join(ROOT, 'www'), '--dist', path.join(ROOT, 'dist')], { stdio: 'ignore' });
  const ready = async () => {
    for (let i = 0; i < 100; i++) {
      try { if ((await fetch(`http://127.0.0.1:${port}/control/health`)).ok) return; } catch (_) { /* not yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('devserver did not start');
  };
  let server = start();
  try {
    await ready();
    await page.goto('/plura-restart.html');
    const w = widget(page);
    await w.launcher.click();
    await expect(w.incoming.first()).toContainText("Hi! I'm Ada");

    server.kill('SIGKILL');
    await expect(w.banner).toHaveText('Reconnecting…');
    await w.input.fill('are you back?');
    await w.input.press('Enter');
    await expect(w.outgoing.last()).toHaveAttribute('data-status', 'pending');

    server = start();
    await ready();
    await expect.poll(() => page.evaluate(() => Confab.state), { timeout: 40_000 }).toBe('open');
    await expect(w.outgoing.last()).toHaveAttribute('data-status', 'delivered');
    await expect(w.incoming.last()).toContainText('You said: are you back?');
    const sent = await (await fetch(`http://127.0.0.1:${port}/control/plura/frames`)).json();
    expect(sent.map((f) => JSON.parse(f.raw)).filter((f) => f.type === 'message').map((f) => f.message)).toEqual(['are you back?']);
    const conns = await (await fetch(`http://127.0.0.1:${port}/control/plura/connections`)).json();
    expect(conns[0].resumed).toBe(true);
  } finally {
    server.kill('SIGKILL');
  }
});

test('lead data on the script tag starts with the session POST and uses its answer', async ({ page, request }) => {
  await page.goto('/plura-lead.html');
  const w = widget(page);
  await w.launcher.click();
  await expect(w.incoming.first()).toContainText("Hi! I'm Ada");
  const posts = await control(request, 'GET', '/plura/posts');
  expect(posts).toEqual([{ record: { phone: '+15551234567', first_name: 'Ada', last_name: 'Lovelace' }, flow_id: '87f66d6d-dba9-4a44-9274-02c6927a083a' }]);
  const [conn] = await connections(request);
  expect(conn.path).toMatch(/^\/plura\/webchat\/flow\/[0-9a-f-]{36}\/session\/webchat-session\.[0-9a-f-]{36}\/r\/true$/);
  expect(conn.path).not.toContain('87f66d6d');

  await page.reload();
  await expect.poll(async () => (await connections(request)).length).toBe(2);
  expect((await connections(request))[1].path).toBe(conn.path);
  expect(await control(request, 'GET', '/plura/posts')).toHaveLength(1);
});

test('identify() without a phone is refused with a reason; with one it starts the lead session', async ({ page, request }) => {
  await page.goto('/plura.html');
  const w = widget(page);
  await w.launcher.click();
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
  const errs = await page.evaluate(() => new Promise((resolve) => {
    const got = [];
    Confab.on('error', (e) => got.push(e.code));
    Confab.identify({ first_name: 'Ada' });
    setTimeout(() => resolve(got), 200);
  }));
  expect(errs).toEqual(['lead_refused']);
  await expect(page.locator('confab-widget .notice')).toContainText('phone');
  expect(await control(request, 'GET', '/plura/posts')).toEqual([]);

  // Fields add up; numbers and booleans are sent as the page would write them; other values
  // are left out.
  await page.evaluate(() => Confab.identify({ phone: '+15550001111', seats: 42, score: 1.5, big: 1e21, vip: true, tags: ['a'] }));
  await expect.poll(async () => (await control(request, 'GET', '/plura/posts')).length).toBe(1);
  expect((await control(request, 'GET', '/plura/posts'))[0].record).toEqual({ first_name: 'Ada', phone: '+15550001111', seats: '42', score: '1.5', big: '1e+21', vip: 'true' });
  await expect.poll(async () => (await connections(request)).length).toBe(2);
  expect((await connections(request))[1].path).toMatch(/session\/webchat-session\./);
});

test('a missing data-flow-id shows a clear error in the panel and the console', async ({ page }) => {
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  await page.goto('/plura-no-flow.html');
  const w = widget(page);
  await w.launcher.click();
  await expect(page.locator('confab-widget .config-error')).toContainText('data-flow-id: is required');
  expect(logs.some((l) => l.startsWith('error:') && l.includes('data-flow-id'))).toBe(true);
  expect(await page.evaluate(() => Confab.state)).toBe('failed');
  await expect(w.input).toBeDisabled();
  await expect(page.locator('confab-widget form.composer button.send')).toBeDisabled();
});

test('an unknown provider shows a clear error', async ({ page }) => {
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  await page.goto('/unknown-provider.html');
  await widget(page).launcher.click();
  await expect(page.locator('confab-widget .config-error')).toContainText('unknown provider "intercom"');
  expect(logs.some((l) => l.includes('unknown provider'))).toBe(true);
});

test('page API: queued calls run in order, events fire, host CSS cannot reach the widget', async ({ page, request }) => {
  await page.goto('/plura-api.html');
  const w = widget(page);
  await expect(w.launcher).toHaveCount(0); // data-show-launcher="false"
  await expect(w.panel).toBeVisible(); // Confab.open() queued before ready
  await expect(w.title).toHaveText('Support'); // data-title wins over the owner name
  await expect(w.outgoing.first()).toContainText('queued before ready');
  await expect(w.outgoing.first()).toHaveAttribute('data-status', 'delivered');
  await expect.poll(() => page.evaluate(() => window.seen)).toContain('out:queued before ready');
  await expect.poll(() => page.evaluate(() => window.seen)).toContain('in:You said: queued before ready');
  expect(await page.evaluate(() => typeof window.readyAt)).toBe('number');

  // The hostile stylesheet hides every button and textarea of the page, and forces a font.
  await expect(w.input).toBeVisible();
  const font = await w.input.evaluate((el) => getComputedStyle(el).fontFamily);
  expect(font).not.toContain('Comic');
  const left = await w.panel.boundingBox();
  expect(left.x).toBeLessThan(40); // data-position="bottom-left"

  // on() returns an unsubscribe function.
  const count = await page.evaluate(async () => {
    let n = 0;
    const off = Confab.on('close', () => { n += 1; });
    Confab.close();
    off();
    Confab.open();
    Confab.close();
    return n;
  });
  expect(count).toBe(1);

  // Widget CSS does not leak into the page.
  const hostButtonFont = await page.locator('#mine').evaluate((el) => getComputedStyle(el).fontFamily);
  expect(hostButtonFont).toContain('Comic');
});

test('agent text is rendered as text, never as HTML', async ({ page, request }) => {
  await page.goto('/plura.html');
  const w = widget(page);
  await w.launcher.click();
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
  await page.evaluate(() => { window.pwned = false; });
  const evil = '<img src=x onerror="window.pwned=true"><script>window.pwned=true</script><b>bold</b>';
  await control(request, 'POST', `/plura/say?text=${encodeURIComponent(evil)}`);
  await expect(w.incoming.last()).toContainText('<img src=x onerror=');
  const inner = await page.evaluate(() => {
    const root = document.querySelector('confab-widget').shadowRoot;
    return { imgs: root.querySelectorAll('.message img, .message script, .message b').length };
  });
  expect(inner.imgs).toBe(0);
  expect(await page.evaluate(() => window.pwned)).toBe(false);
});

test('reset() starts a fresh conversation; destroy() removes the widget and stops reconnecting', async ({ page, request }) => {
  await page.goto('/plura.html');
  const w = widget(page);
  await w.launcher.click();
  await expect(w.incoming.first()).toContainText("Hi! I'm Ada");
  await w.input.fill('before reset');
  await w.input.press('Enter');
  await expect(w.outgoing.last()).toHaveAttribute('data-status', 'delivered');

  await page.evaluate(() => Confab.reset());
  await expect(w.outgoing).toHaveCount(0);
  await expect.poll(async () => (await connections(request)).length).toBe(2);
  const conns = await connections(request);
  expect(conns[1].path).toMatch(/session\/null\/r\/true$/);
  expect(conns[1].session).not.toBe(conns[0].session);
  await expect(w.incoming).toHaveCount(1); // the new greeting only

  await page.evaluate(() => Confab.destroy());
  await expect(page.locator('confab-widget')).toHaveCount(0);
  await expect.poll(async () => (await connections(request)).every((c) => c.closed_ms !== null)).toBe(true);
  await page.waitForTimeout(2500);
  expect(await connections(request)).toHaveLength(2);
  expect(await page.evaluate(() => Confab.state)).toBe('idle');
});

test('a host page with a strict Content-Security-Policy runs the widget with no violation', async ({ page, request }) => {
  // The host devserver serves plura.html as plura-csp.html under a strict policy (--csp-origin).
  const res = await request.get('http://127.0.0.1:18081/plura-csp.html');
  expect(res.headers()['content-security-policy']).toContain("style-src 'self';");
  await page.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto('/plura-csp.html');
  const w = widget(page);
  await w.launcher.click();
  await expect(w.incoming.first()).toContainText("Hi! I'm Ada");
  await w.input.fill('hello under CSP');
  await w.input.press('Enter');
  await expect(w.outgoing.last()).toHaveAttribute('data-status', 'delivered');
  // Styled by the adopted stylesheet: the launcher is round and coloured.
  expect(await w.launcher.evaluate((el) => getComputedStyle(el).borderRadius)).toBe('50%');
  expect(await page.evaluate(() => window.violations)).toEqual([]);
});

test('keyboard: Enter on the launcher opens, focus goes to the composer, Escape closes and returns focus', async ({ page }) => {
  await page.goto('/plura.html');
  const w = widget(page);
  await w.launcher.focus();
  await page.keyboard.press('Enter');
  await expect(w.panel).toBeVisible();
  await expect.poll(() => page.evaluate(() => document.querySelector('confab-widget').shadowRoot.activeElement?.tagName)).toBe('TEXTAREA');
  await page.keyboard.press('Escape');
  await expect(w.panel).toBeHidden();
  expect(await page.evaluate(() => document.querySelector('confab-widget').shadowRoot.activeElement?.className)).toBe('launcher');
  await expect(w.launcher).toHaveAttribute('aria-expanded', 'false');
});

test('languages: data-lang="ar" lays the panel out right to left; the browser language is used otherwise', async ({ page, browser }) => {
  await page.goto('/plura-ar.html');
  const root = page.locator('confab-widget .confab');
  await expect(root).toHaveAttribute('dir', 'rtl');
  await expect(root).toHaveAttribute('lang', 'ar');
  await widget(page).launcher.click();
  await expect(widget(page).input).toHaveAttribute('placeholder', 'اكتب رسالة…');
  // Right to left: the agent's messages sit on the right.
  await expect(widget(page).incoming.first()).toBeVisible();
  const panel = await widget(page).panel.boundingBox();
  const msg = await widget(page).incoming.first().boundingBox();
  expect(msg.x + msg.width).toBeGreaterThan(panel.x + panel.width - 40);

  const spanish = await browser.newContext({ locale: 'es-ES' });
  const p2 = await spanish.newPage();
  await p2.goto('/plura.html');
  await expect(p2.locator('confab-widget .confab')).toHaveAttribute('dir', 'ltr');
  await expect(p2.locator('confab-widget .launcher')).toHaveAttribute('aria-label', 'Abrir el chat');
  await spanish.close();
});
