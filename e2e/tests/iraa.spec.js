// Iraa live demos (issue 3): the agent drives the page, safely.
const { test, expect } = require('@playwright/test');

const SERVER = `http://127.0.0.1:${process.env.CONFAB_TEST_PORT || 18080}`;
async function control(request, method, route) {
  const res = await request.fetch(`${SERVER}/control${route}`, { method });
  expect(res.ok(), `${method} /control${route}`).toBeTruthy();
  return res.status() === 204 ? null : res.json();
}

const w = (page) => ({
  launcher: page.locator('confab-widget .launcher'),
  input: page.locator('confab-widget textarea'),
  incoming: page.locator('confab-widget .message.in'),
  system: page.locator('confab-widget .system'),
  notice: page.locator('confab-widget .notice'),
  acting: page.locator('confab-widget .acting'),
});

async function open(page, path) {
  await page.goto(path);
  await page.evaluate(() => { window.acts = []; Confab.on('action', (a) => window.acts.push(a)); });
  await w(page).launcher.click();
  await expect(w(page).incoming.first()).toContainText("I'm Iris");
}
async function say(page, text) {
  await w(page).input.fill(text);
  await w(page).input.press('Enter');
}
const acts = (page) => page.evaluate(() => window.acts);

test.beforeEach(async ({ request }) => { await control(request, 'POST', '/iraa/clear'); });

for (const [kind, path] of [['same-origin', '/iraa-same.html'], ['cross-origin', '/iraa-frame.html']]) {
  test(`every action works on the ${kind} demo`, async ({ page, request }) => {
    await open(page, path);
    const frame = page.frameLocator('#demo');

    await say(page, 'Create a deal');
    await expect.poll(() => acts(page).then((a) => a.length)).toBe(5);
    expect((await acts(page)).map((a) => `${a.action}:${a.ok}`)).toEqual(['navigate:true', 'wait:true', 'type:true', 'select:true', 'highlight:true']);
    await expect(frame.locator('#echo')).toHaveText('Acme renewal'); // input events reached the page's own code
    await expect(frame.locator('#stage-echo')).toHaveText('proposal'); // and change events
    await expect(frame.locator('[data-confab-highlight]')).toHaveCount(1);

    await say(page, 'Show me the dashboard');
    await expect.poll(() => acts(page).then((a) => a.length)).toBe(8);
    await expect(frame.locator('#pipeline')).toBeVisible();
    await expect(frame.locator('[data-confab-highlight]')).toHaveCount(1);

    await say(page, 'Show contacts');
    await expect.poll(() => acts(page).then((a) => a.length)).toBe(12);
    await expect(frame.locator('#contact-40')).toBeInViewport();

    await say(page, 'Home please: bad: [{"action":"navigate","url":"index.html"},{"action":"click","selector":"#details"}]'.replace('Home please: ', ''));
    await expect.poll(() => acts(page).then((a) => a.length)).toBe(14);
    await expect(frame.locator('#clicked')).toBeVisible();
    expect((await acts(page)).every((a) => a.ok)).toBe(true);
    // The agent's own actions are never reported as the visitor's.
    const events = (await control(request, 'GET', '/iraa/frames')).map((f) => JSON.parse(f.raw)).filter((f) => f.type === 'iframe_event');
    expect(events.filter((e) => e.payload.event === 'click')).toEqual([]);

    // The visitor's own click is reported, with a short stable selector.
    await page.waitForTimeout(600); // past the throttle window
    await frame.locator('#details').click();
    await expect.poll(async () => (await control(request, 'GET', '/iraa/frames')).map((f) => JSON.parse(f.raw))
      .filter((f) => f.type === 'iframe_event' && f.payload.event === 'click').map((f) => f.payload.selector)).toEqual(['#details']);
  });
}

test('the agent can drive the host page itself', async ({ page }) => {
  await open(page, '/iraa-host.html');
  await say(page, 'click the details');
  await expect(page.locator('#clicked')).toBeVisible();
  expect(await acts(page)).toEqual([{ action: 'click', selector: '#details', ok: true }]);
});

test('a missing selector times out, is reported, and the chat goes on', async ({ page }) => {
  await open(page, '/iraa-frame.html');
  await say(page, 'bad: [{"action":"wait","selector":"#nope","timeout":600},{"action":"click","selector":"#details"}]');
  await expect.poll(() => acts(page).then((a) => a.length)).toBe(2);
  const [wait, click] = await acts(page);
  expect(wait.ok).toBe(false);
  expect(wait.error).toContain('did not appear within 600 ms');
  expect(click).toMatchObject({ action: 'click', ok: false, error: 'an earlier action failed' });
  await expect(w(page).notice).toContainText('did not appear');
  await say(page, 'hello again');
  await expect(w(page).incoming.last()).toContainText('You said: hello again');
});

test('unsafe navigations, typing into secrets and unknown actions are refused and reported', async ({ page }) => {
  await open(page, '/iraa-frame.html');
  const frame = page.frameLocator('#demo');
  // One sequence at a time: a newer one would replace the one still running.
  const steps = [
    ['bad: [{"action":"navigate","url":"javascript:alert(1)"}]', 1],
    ['bad: [{"action":"navigate","url":"https://evil.example.net/phish"}]', 2],
    ['bad: [{"action":"navigate","url":"deals-new.html"},{"action":"type","selector":"#secret","text":"hunter2"}]', 4],
    ['bad: [{"action":"type","selector":"#card","text":"4111111111111111"}]', 5],
    ['bad: [{"action":"eval","selector":"body"}]', 6],
  ];
  for (const [text, count] of steps) {
    await say(page, text);
    await expect.poll(() => acts(page).then((a) => a.length), { timeout: 20_000 }).toBe(count);
  }
  const a = await acts(page);
  expect(a[0]).toMatchObject({ action: 'navigate', ok: false });
  expect(a[0].error).toContain('only http(s)');
  expect(a[1].error).toContain('http://evil.example.net'.replace('http:', 'https:') + ' is not an allowed origin');
  expect(a[2]).toMatchObject({ action: 'navigate', ok: true });
  expect(a[3]).toMatchObject({ action: 'type', ok: false, error: 'typing into a password field is not allowed' });
  expect(a[4]).toMatchObject({ action: 'type', ok: false, error: 'typing into a payment field is not allowed' });
  expect(a[5]).toMatchObject({ action: 'eval', ok: false, error: 'unknown action "eval"' });
  await expect(frame.locator('#secret')).toHaveValue('');
  await expect(frame.locator('#card')).toHaveValue('');
});

test('a frame that does not list this page as its parent ignores it', async ({ page }) => {
  // The same host page, but from an origin the product's confab-frame.js does not allow.
  await page.goto('http://localhost:18081/iraa-frame.html');
  await page.evaluate(() => { window.acts = []; Confab.on('action', (a) => window.acts.push(a)); });
  await w(page).launcher.click();
  await expect(w(page).incoming.first()).toContainText("I'm Iris");
  await say(page, 'click the details');
  await expect.poll(() => acts(page).then((a) => a.length), { timeout: 15_000 }).toBe(1);
  const [click] = await acts(page);
  expect(click.ok).toBe(false);
  expect(click.error).toContain('did not answer');
  await expect(page.frameLocator('#demo').locator('#clicked')).toBeHidden();
});

test('Stop cancels a running sequence', async ({ page }) => {
  await open(page, '/iraa-frame.html');
  await say(page, 'bad: [{"action":"wait","selector":"#never","timeout":20000},{"action":"click","selector":"#details"}]');
  await expect(w(page).acting).toBeVisible();
  await page.locator('confab-widget .stop').click();
  await expect(w(page).acting).toBeHidden();
  await expect.poll(() => acts(page).then((a) => a.length)).toBe(2);
  const [wait, click] = await acts(page);
  expect(wait).toMatchObject({ ok: false, error: 'stopped by the visitor' });
  expect(click).toMatchObject({ ok: false, error: 'stopped by the visitor' });
  await expect(page.frameLocator('#demo').locator('#clicked')).toBeHidden();
});

for (const [kind, path] of [['same-origin', '/iraa-same.html'], ['cross-origin', '/iraa-frame.html']]) {
  test(`a newer sequence replaces a running one at once, a long wait included (${kind})`, async ({ page }) => {
    await open(page, path);
    const frame = page.frameLocator('#demo');
    await say(page, 'bad: [{"action":"wait","selector":"#never","timeout":20000},{"action":"click","selector":"#details"}]');
    await expect(w(page).acting).toBeVisible();
    await say(page, 'bad: [{"action":"highlight","selector":"#details"}]');
    // Well before the old wait's 20 s: it is interrupted, not left to run out.
    await expect.poll(() => acts(page).then((a) => a.length), { timeout: 5_000 }).toBe(3);
    const [wait, click, highlight] = await acts(page);
    expect(wait).toMatchObject({ action: 'wait', ok: false, error: "replaced by the agent's next actions" });
    expect(click).toMatchObject({ action: 'click', ok: false, error: "replaced by the agent's next actions" });
    expect(highlight).toMatchObject({ action: 'highlight', ok: true });
    await expect(frame.locator('[data-confab-highlight]')).toHaveCount(1);
    await expect(frame.locator('#clicked')).toBeHidden();
    await expect(w(page).acting).toBeHidden();
  });

  test(`the visitor's own click in the demo stops the agent at once (${kind})`, async ({ page }) => {
    await open(page, path);
    await say(page, 'bad: [{"action":"wait","selector":"#never","timeout":20000},{"action":"click","selector":"#details"}]');
    await expect(w(page).acting).toBeVisible();
    await page.frameLocator('#demo').locator('h1').click();
    await expect.poll(() => acts(page).then((a) => a.length), { timeout: 5_000 }).toBe(2);
    const [wait, click] = await acts(page);
    expect(wait).toMatchObject({ action: 'wait', ok: false, error: 'stopped by the visitor' });
    expect(click).toMatchObject({ action: 'click', ok: false, error: 'stopped by the visitor' });
    await expect(page.frameLocator('#demo').locator('#clicked')).toBeHidden();
    await expect(w(page).acting).toBeHidden();
  });

  test(`an action after an interrupted navigate waits for the new page (${kind})`, async ({ page }) => {
    // The product's next page is slow to come.
    await page.route('**/product/deals-new.html', async (route) => { await new Promise((r) => setTimeout(r, 1500)); await route.continue(); });
    await open(page, path);
    const frame = page.frameLocator('#demo');
    await say(page, 'bad: [{"action":"navigate","url":"deals-new.html"}]');
    await expect(w(page).acting).toBeVisible();
    await say(page, 'bad: [{"action":"type","selector":"#deal-name","text":"Acme"}]');
    await expect.poll(() => acts(page).then((a) => a.length)).toBe(2);
    const [nav, type] = await acts(page);
    expect(nav).toMatchObject({ action: 'navigate', ok: false, error: "replaced by the agent's next actions" });
    expect(type).toMatchObject({ action: 'type', ok: true });
    await expect(frame.locator('#echo')).toHaveText('Acme');
  });
}

test('on the host page, the chat itself is not the page: typing in it neither stops the agent nor is reported', async ({ page, request }) => {
  await open(page, '/iraa-host.html');
  await page.waitForTimeout(600); // past the throttle window of visitor events
  await w(page).input.click();
  await say(page, 'bad: [{"action":"wait","selector":"#later","timeout":20000},{"action":"click","selector":"#details"}]');
  await expect(w(page).acting).toBeVisible();
  await w(page).input.pressSequentially('still there?');
  await page.waitForTimeout(300);
  await expect(w(page).acting).toBeVisible();
  expect(await acts(page)).toEqual([]);
  // The page's own content appearing ends the wait as planned, and the sequence goes on.
  await page.evaluate(() => { const p = document.createElement('p'); p.id = 'later'; document.body.appendChild(p); });
  await expect.poll(() => acts(page)).toEqual([
    { action: 'wait', selector: '#later', ok: true },
    { action: 'click', selector: '#details', ok: true },
  ]);
  await expect(page.locator('#clicked')).toBeVisible();
  const frames = (await control(request, 'GET', '/iraa/frames')).map((f) => JSON.parse(f.raw));
  expect(frames.filter((f) => f.type === 'iframe_event')).toEqual([]);
});

test('the lead form is prefilled, validated, sent to the page and the lead URL, then opens the CTA', async ({ page, context, request }) => {
  await open(page, '/iraa-frame.html');
  await page.evaluate(() => { window.leads = []; Confab.on('lead', (l) => window.leads.push(l.fields)); });
  await say(page, 'Tell me about pricing');
  const form = page.locator('confab-widget form.lead');
  await expect(form).toBeVisible();
  await expect(form.locator('input[name="email"]')).toHaveValue('ada@example.com');
  // Field names become labels with their first letter up.
  await expect(form.locator('label')).toHaveText(['Email', 'Company']);
  await form.locator('input[name="email"]').fill('not-an-email');
  await form.locator('input[name="company"]').fill('Acme');
  await form.locator('.lead-submit').click();
  await expect(form.locator('.lead-error')).toContainText('valid e-mail');
  await form.locator('input[name="email"]').fill('ada@acme.test');
  const popup = context.waitForEvent('page');
  await form.locator('.lead-submit').click();
  const cta = await popup;
  expect(cta.url()).toBe('http://127.0.0.1:18080/product/pricing.html');
  await expect(form).toHaveCount(0);
  expect(await page.evaluate(() => window.leads)).toEqual([{ email: 'ada@acme.test', company: 'Acme' }]);
  await expect.poll(() => control(request, 'GET', '/iraa/leads')).toEqual([{ email: 'ada@acme.test', company: 'Acme' }]);
});

test('session start carries the visitor meta, End chat ends it over HTTP', async ({ page, request }) => {
  await open(page, '/iraa-frame.html');
  const [created] = await control(request, 'GET', '/iraa/sessions');
  expect(created).toEqual({ authorization: 'pk_test_e2e', body: { productId: 'default', visitorMeta: { name: 'Ada', email: 'ada@example.com' } } });
  await page.locator('confab-widget .end').click();
  await expect(w(page).system.last()).toContainText('This conversation has ended.');
  await expect.poll(() => control(request, 'GET', '/iraa/ended').then((e) => e.length)).toBe(1);
  await expect(page.locator('confab-widget .new-chat')).toBeVisible();
});

test('4001: one fresh session, then a clear error; no loop', async ({ page, request }) => {
  await open(page, '/iraa-frame.html');
  await say(page, 'close 4001');
  await expect(w(page).incoming).toHaveCount(2); // the new session's greeting
  expect(await control(request, 'GET', '/iraa/sessions')).toHaveLength(2);
  await say(page, 'close 4001');
  await expect(w(page).notice).toContainText('could not sign in');
  expect(await page.evaluate(() => Confab.state)).toBe('failed');
  await page.waitForTimeout(2000);
  expect(await control(request, 'GET', '/iraa/sessions')).toHaveLength(2);
});

test('4004 and SESSION_EXPIRED: the session is forgotten, a new one starts and the visitor is told', async ({ page, request }) => {
  await open(page, '/iraa-frame.html');
  await say(page, 'close 4004');
  await expect(w(page).system.last()).toContainText('expired');
  await expect.poll(() => control(request, 'GET', '/iraa/sessions').then((s) => s.length)).toBe(2);
  await say(page, 'error SESSION_EXPIRED');
  await expect.poll(() => control(request, 'GET', '/iraa/sessions').then((s) => s.length)).toBe(3);
  await expect(w(page).system).toHaveCount(2);
  await say(page, 'error INVALID_JSON');
  await expect(w(page).notice).toContainText('hiccup');
  expect(await control(request, 'GET', '/iraa/sessions')).toHaveLength(3);
  await say(page, 'error PDP_NOT_FOUND');
  await expect(w(page).notice).toContainText('not set up correctly');
  expect(await page.evaluate(() => Confab.state)).toBe('failed');
});

test('a silent server (no pong for two intervals) is treated as a dead link and reconnected', async ({ page, request }) => {
  await page.clock.install({ time: new Date('2026-07-01T12:00:00Z') });
  await open(page, '/iraa-frame.html');
  await say(page, 'silent');
  await expect(w(page).incoming.last()).toContainText('going quiet');
  const before = (await control(request, 'GET', '/iraa/connects')).length;
  await page.clock.runFor(95_000); // heartbeats at 30, 60 and 90 s go unanswered
  await page.clock.runFor(2_000); // the reconnect backoff
  await expect.poll(() => control(request, 'GET', '/iraa/connects').then((c) => c.length)).toBe(before + 1);
  const connects = await control(request, 'GET', '/iraa/connects');
  expect(connects[connects.length - 1]).toBe(connects[0]); // the same session
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
});

test('crafted URLs and selectors cannot get out: every disguise of another origin or scheme is refused', async ({ page }) => {
  await open(page, '/iraa-frame.html');
  const frame = page.frameLocator('#demo');
  // First to the product's form with a password field (allowed), then the disguises.
  await say(page, 'bad: [{"action":"navigate","url":"deals-new.html"}]');
  await expect.poll(() => acts(page).then((a) => a.length), { timeout: 20_000 }).toBe(1);
  await expect(frame.locator('#secret')).toBeVisible();
  const crafted = [
    { action: 'navigate', url: '//evil.example.net/x' },
    { action: 'navigate', url: '\\\\evil.example.net\\x' },
    { action: 'navigate', url: ' javascript:alert(1)' },
    { action: 'navigate', url: 'java\tscript:alert(1)' },
    { action: 'navigate', url: 'JAVASCRIPT:alert(1)' },
    { action: 'navigate', url: 'data:text/html,<script>alert(1)</script>' },
    { action: 'navigate', url: 'https://127.0.0.1:18082@evil.example.net/' },
    { action: 'navigate', url: 'https://127.0.0.1.evil.example.net/' },
    { action: 'navigate', url: 'blob:https://evil.example.net/1' },
    { action: 'type', selector: '[id=secret]', text: 'hunter2' },
    { action: 'type', selector: 'input[type=password]', text: 'hunter2' },
  ];
  for (let k = 0; k < crafted.length; k += 1) {
    await say(page, `bad: ${JSON.stringify([crafted[k]])}`);
    await expect.poll(() => acts(page).then((a) => a.length), { timeout: 20_000 }).toBe(k + 2);
  }
  const results = (await acts(page)).slice(1);
  results.forEach((r, k) => expect(r.ok, JSON.stringify(crafted[k])).toBe(false));
  results.slice(-2).forEach((r) => expect(r.error).toBe('typing into a password field is not allowed'));
  await expect(frame.locator('#secret')).toHaveValue('');
  expect(page.url()).toContain('/iraa-frame.html');
  await expect(frame.locator('body')).toBeVisible();
});

test('the sound button turns spoken replies on and off, and a notice can be dismissed', async ({ page }) => {
  await open(page, '/iraa-frame.html');
  const sound = page.locator('confab-widget .sound');
  await expect(sound).toBeVisible();
  const before = await sound.getAttribute('aria-pressed');
  expect(['true', 'false']).toContain(before);
  const label = await sound.getAttribute('aria-label');
  await sound.click();
  await expect(sound).toHaveAttribute('aria-pressed', before === 'true' ? 'false' : 'true');
  await expect(sound).not.toHaveAttribute('aria-label', label);
  await sound.click();
  await expect(sound).toHaveAttribute('aria-pressed', before);
  await expect(sound).toHaveAttribute('aria-label', label);

  await say(page, 'error INVALID_JSON');
  await expect(w(page).notice).toBeVisible();
  await expect(w(page).notice).toContainText('hiccup');
  await w(page).notice.locator('.dismiss').click();
  await expect(w(page).notice).toBeHidden();
  // The chat goes on.
  await say(page, 'hello again');
  await expect(w(page).incoming).toHaveCount(2);
});
