// The reliability suite of issue 7: faults switched per connection in the devserver's fault
// layer (devserver/src/faults.rs), bad input, storage trouble, sleep, the back/forward cache
// and destroy(). Each test checks the outcome a visitor would see: nothing lost, nothing shown
// twice, the chat still usable. Tallies are written to test-results/reliability.json.
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const path = require('path');

const SERVER = `http://127.0.0.1:${process.env.CONFAB_TEST_PORT || 18080}`;
const TALLY = path.join(__dirname, '..', 'test-results', 'reliability.json');

async function control(request, method, route, data) {
  const res = await request.fetch(`${SERVER}/control${route}`, { method, data });
  expect(res.ok(), `${method} /control${route}`).toBeTruthy();
  return res.status() === 204 ? null : res.json();
}
const arm = (request, provider, plan, connections = 1) => control(request, 'POST', '/faults', { provider, plan, connections });

const w = (page) => ({
  launcher: page.locator('confab-widget .launcher'),
  panel: page.locator('confab-widget .panel'),
  input: page.locator('confab-widget textarea'),
  incoming: page.locator('confab-widget .message.in'),
  outgoing: page.locator('confab-widget .message.out'),
  banner: page.locator('confab-widget .banner'),
  system: page.locator('confab-widget .system'),
});

// The socket providers, how a conversation starts, and what their agents answer.
const PROVIDERS = {
  plura: { page: '/plura.html', greeting: "I'm Ada", reply: (t) => `You said: ${t}`, ids: true },
  poly: { page: '/poly.html', greeting: "I'm Poly", reply: (t) => `You said: ${t}`, ids: true },
  iraa: { page: '/iraa-same.html', greeting: "I'm Iris", reply: null, ids: false },
};

function record(entry) {
  let all = [];
  try { all = JSON.parse(fs.readFileSync(TALLY, 'utf8')); } catch (e) { all = []; }
  all = all.filter((e) => !(e.provider === entry.provider && e.fault === entry.fault));
  all.push(entry);
  fs.mkdirSync(path.dirname(TALLY), { recursive: true });
  fs.writeFileSync(TALLY, JSON.stringify(all, null, 2));
}

async function start(page, provider) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(PROVIDERS[provider].page);
  await w(page).launcher.click();
  await expect(w(page).incoming.first()).toContainText(PROVIDERS[provider].greeting, { timeout: 15_000 });
  return errors;
}

async function say(page, text) {
  await w(page).input.fill(text);
  await w(page).input.press('Enter');
}

/// Sends `n` messages and checks each one, and each answer, is shown exactly once.
async function exchange(page, provider, fault, n) {
  const texts = Array.from({ length: n }, (_, k) => `${fault} message ${k + 1}`);
  const before = await w(page).incoming.count();
  for (const t of texts) await say(page, t);
  const reply = PROVIDERS[provider].reply;
  if (reply) {
    for (const t of texts) await expect(w(page).incoming.filter({ hasText: reply(t) })).toHaveCount(1, { timeout: 20_000 });
  } else {
    await expect(w(page).incoming).toHaveCount(before + n, { timeout: 20_000 });
  }
  const shownOut = await w(page).outgoing.locator('.text').allTextContents();
  const shownIn = await w(page).incoming.locator('.text').allTextContents();
  const lost = texts.filter((t) => !shownOut.includes(t)).length
    + (reply ? texts.filter((t) => !shownIn.includes(reply(t))).length : 0);
  const duplicates = texts.filter((t) => shownOut.filter((s) => s === t).length > 1).length
    + (reply ? texts.filter((t) => shownIn.filter((s) => s === reply(t)).length > 1).length : 0);
  expect(lost).toBe(0);
  expect(duplicates).toBe(0);
  return { sent: n, received: reply ? n : shownIn.length - before, lost, duplicates };
}

test.beforeEach(async ({ request }) => {
  await control(request, 'POST', '/faults/clear');
  await control(request, 'POST', '/plura/clear');
  await control(request, 'POST', '/poly/clear');
  await control(request, 'POST', '/iraa/clear');
});

for (const provider of Object.keys(PROVIDERS)) {
  test(`${provider}: malformed, unknown, incomplete, binary, 1 MB and 10 000 flooding frames are ignored and counted; the chat goes on`, async ({ page, request }) => {
    await arm(request, provider, { inject: ['malformed', 'unknown', 'missing', 'binary', 'huge', 'flood'], inject_after: 0 });
    const logs = [];
    page.on('console', (m) => logs.push(m.text()));
    const errors = await start(page, provider);
    const tally = await exchange(page, provider, 'bad-frames', 2);
    const stats = await page.evaluate(() => Confab.stats());
    expect(stats.ignoredFrames).toBeGreaterThanOrEqual(10_004);
    expect(errors).toEqual([]);
    expect(logs.length).toBeLessThan(60); // a flood of bad frames does not flood the console
    await expect(w(page).panel).toBeVisible();
    record({ provider, fault: 'bad frames', injected: 10_005, ignored: stats.ignoredFrames, ...tally });
  });

  const plan = PROVIDERS[provider].ids
    ? { delay_ms: 40, reorder: true, duplicate: true }
    : { delay_ms: 40, reorder: true }; // Iraa frames carry no id: a duplicate is a new answer
  test(`${provider}: delayed, reordered${PROVIDERS[provider].ids ? ', duplicated' : ''} frames: every message and answer once`, async ({ page, request }) => {
    await arm(request, provider, plan);
    const errors = await start(page, provider);
    const tally = await exchange(page, provider, 'shuffle', 6);
    expect(errors).toEqual([]);
    const log = await control(request, 'GET', '/faults/log');
    expect(log.some((e) => e.event === 'reordered')).toBe(true);
    record({ provider, fault: PROVIDERS[provider].ids ? 'delay, reorder, duplicate' : 'delay, reorder', ...tally });
  });
}

test('poly: a half-open link (the server goes silent, the socket stays up) is detected one grace period after an unanswered heartbeat and replaced', async ({ page, request }) => {
  await page.clock.install({ time: new Date('2026-07-01T12:00:00Z') });
  await start(page, 'poly');
  await expect(w(page).incoming.first()).toHaveAttribute('data-status', 'received');
  // The next connection answers with its replay, then nothing: not even heartbeat echoes.
  await arm(request, 'poly', { silent_after: 1 });
  await control(request, 'POST', '/poly/close?code=1006');
  const connects = async () => (await control(request, 'GET', '/poly/connects')).length;
  await page.clock.runFor(2_000);
  await expect.poll(connects).toBe(2);
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
  await page.clock.runFor(35_000); // the heartbeat at 30 s goes unanswered
  await page.waitForTimeout(200);
  expect(await connects()).toBe(2);
  await page.clock.runFor(7_000); // 10 s of grace, then the reconnect backoff (at most 1 s)
  await expect.poll(connects).toBe(3);
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
  const tally = await exchange(page, 'poly', 'after half-open', 1);
  record({ provider: 'poly', fault: 'half-open link', ...tally });
});

test('plura: the server is down for two minutes: backoff stays in its bounds, the visitor sees it, messages typed meanwhile arrive once, in order', async ({ page, request }) => {
  await page.addInitScript(() => {
    window.attempts = [];
    const Real = window.WebSocket;
    window.WebSocket = function (...a) { window.attempts.push(Date.now()); return new Real(...a); };
    window.WebSocket.prototype = Real.prototype;
    Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  });
  await page.clock.install({ time: new Date('2026-07-01T12:00:00Z') });
  await start(page, 'plura');
  await control(request, 'POST', '/refuse?seconds=3600');
  await control(request, 'POST', '/drop');
  await expect(w(page).banner).toHaveText('Reconnecting…');
  const typed = ['during the outage 1', 'during the outage 2', 'during the outage 3'];
  for (const t of typed) await say(page, t);
  for (let k = 0; k < 240; k += 1) {
    await page.clock.runFor(500);
    await page.waitForTimeout(15);
  }
  await expect(w(page).banner).toHaveText('Reconnecting…');
  const attempts = await page.evaluate(() => window.attempts);
  // attempts[0] is the first link, attempts[1] the first retry after the drop (attempt 0);
  // gap n is the wait before retry n + 1, drawn from [3/4 d, d] with d = min(30 s, 1 s * 2^(n+1)).
  const gaps = attempts.slice(2).map((t, i) => t - attempts[i + 1]);
  expect(gaps.length).toBeGreaterThanOrEqual(6);
  gaps.forEach((gap, n) => {
    const d = Math.min(30_000, 1000 * 2 ** (n + 1));
    expect(gap, `attempt ${n + 1}`).toBeGreaterThanOrEqual(0.75 * d - 600);
    expect(gap, `attempt ${n + 1}`).toBeLessThanOrEqual(d + 600);
  });
  await control(request, 'POST', '/refuse?seconds=0');
  await page.clock.runFor(31_000);
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
  await expect(w(page).banner).toBeHidden();
  for (const t of typed) await expect(w(page).incoming.filter({ hasText: `You said: ${t}` })).toHaveCount(1);
  const frames = (await control(request, 'GET', '/plura/frames')).map((f) => JSON.parse(f.raw)).filter((f) => f.type === 'message').map((f) => f.message);
  expect(frames.filter((m) => typed.includes(m))).toEqual(typed);
  record({ provider: 'plura', fault: 'server down 2 min', sent: 3, received: 3, lost: 0, duplicates: 0, attempts: gaps.length });
});

test('plura: after the laptop sleeps, becoming visible re-establishes the link at once', async ({ page, request }) => {
  await page.clock.install({ time: new Date('2026-07-01T12:00:00Z') });
  await start(page, 'plura');
  const before = (await control(request, 'GET', '/plura/connections')).length;
  await page.clock.pauseAt(new Date('2026-07-01T12:00:05Z'));
  await page.clock.setSystemTime(new Date('2026-07-01T12:20:00Z')); // asleep for 20 minutes
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await expect.poll(async () => (await control(request, 'GET', '/plura/connections')).length).toBe(before + 1);
  await page.clock.resume();
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
  const tally = await exchange(page, 'plura', 'after sleep', 1);
  record({ provider: 'plura', fault: 'sleep', ...tally });
});

test('offline and online are honoured: no attempts while offline, one at once when back', async ({ page, context, request }) => {
  await start(page, 'plura');
  await context.setOffline(true);
  await control(request, 'POST', '/drop');
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('offline');
  const before = (await control(request, 'GET', '/plura/connections')).length;
  await page.waitForTimeout(2500);
  expect((await control(request, 'GET', '/plura/connections')).length).toBe(before);
  await say(page, 'typed offline');
  await context.setOffline(false);
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
  await expect(w(page).incoming.filter({ hasText: 'You said: typed offline' })).toHaveCount(1);
  await expect(w(page).outgoing.filter({ hasText: 'typed offline' })).toHaveCount(1);
  record({ provider: 'plura', fault: 'offline, then online', sent: 1, received: 1, lost: 0, duplicates: 0 });
});

test('back/forward cache: pagehide closes the socket, pageshow from the cache reconnects to the same conversation', async ({ page, request }) => {
  await start(page, 'poly');
  await expect(w(page).incoming.first()).toHaveAttribute('data-status', 'received');
  await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true })));
  const connects = async () => (await control(request, 'GET', '/poly/connects')).length;
  const before = await connects();
  await page.waitForTimeout(2500);
  expect(await connects()).toBe(before); // no reconnect while in the cache
  await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
  await expect.poll(connects).toBe(before + 1);
  const all = await control(request, 'GET', '/poly/connects');
  expect(all[all.length - 1].session_id).toBe(all[0].session_id);
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
  const tally = await exchange(page, 'poly', 'after bfcache', 1);
  record({ provider: 'poly', fault: 'back/forward cache', ...tally });
});

test('destroy(): no reconnect after a deliberate close, and no timer or listener left behind', async ({ page, request }) => {
  await page.addInitScript(() => {
    // Count what the page registers: listeners on window, document and the visual viewport,
    // and timers not yet fired or cleared.
    const live = new Map();
    window.counted = { listeners: () => [...live.values()].filter((v) => v > 0).length, timers: new Set() };
    const key = (t, n, f) => `${t === window ? 'w' : t === document ? 'd' : 'v'}:${n}:${f && (f.__id || (f.__id = Math.random()))}`;
    for (const target of [window, document, window.visualViewport]) {
      if (!target) continue;
      const add = target.addEventListener.bind(target);
      const remove = target.removeEventListener.bind(target);
      target.addEventListener = (n, f, o) => { live.set(key(target, n, f), (live.get(key(target, n, f)) || 0) + 1); return add(n, f, o); };
      target.removeEventListener = (n, f, o) => { live.set(key(target, n, f), 0); return remove(n, f, o); };
    }
    const st = window.setTimeout.bind(window);
    const ct = window.clearTimeout.bind(window);
    const si = window.setInterval.bind(window);
    const ci = window.clearInterval.bind(window);
    window.setTimeout = (f, ms, ...a) => { const id = st((...x) => { window.counted.timers.delete(id); if (typeof f === 'function') f(...x); }, ms, ...a); window.counted.timers.add(id); return id; };
    window.clearTimeout = (id) => { window.counted.timers.delete(id); ct(id); };
    window.setInterval = (f, ms, ...a) => { const id = si(f, ms, ...a); window.counted.timers.add(id); return id; };
    window.clearInterval = (id) => { window.counted.timers.delete(id); ci(id); };
  });
  await start(page, 'plura');
  const during = await page.evaluate(() => ({ listeners: window.counted.listeners(), timers: window.counted.timers.size }));
  expect(during.listeners).toBeGreaterThan(0);
  expect(during.timers).toBeGreaterThan(0); // the heartbeat, at least
  const before = (await control(request, 'GET', '/plura/connections')).length;
  await page.evaluate(() => Confab.destroy());
  await expect(page.locator('confab-widget')).toHaveCount(0);
  await page.waitForTimeout(300);
  const after = await page.evaluate(() => ({ listeners: window.counted.listeners(), timers: window.counted.timers.size }));
  expect(after).toEqual({ listeners: 0, timers: 0 });
  await control(request, 'POST', '/drop');
  await page.waitForTimeout(2500);
  expect((await control(request, 'GET', '/plura/connections')).length).toBe(before);
});

test('storage: corrupt values, a full quota, and storage that throws: the widget works (in memory if it must)', async ({ browser, request }) => {
  // Corrupt values under every key the widget wrote during a first visit.
  const corrupt = await browser.newContext();
  let page = await corrupt.newPage();
  await start(page, 'plura');
  await exchange(page, 'plura', 'before corruption', 1);
  const keys = await page.evaluate(() => {
    const ks = Object.keys(localStorage).filter((k) => k.startsWith('confab:'));
    for (const k of ks) localStorage.setItem(k, '{"broken": [');
    return ks;
  });
  expect(keys.length).toBeGreaterThanOrEqual(2);
  let errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.reload();
  await page.evaluate(() => Confab.open());
  await expect(w(page).incoming.first()).toContainText("I'm Ada", { timeout: 15_000 });
  const corruptTally = await exchange(page, 'plura', 'corrupt storage', 1);
  expect(errors).toEqual([]);
  await corrupt.close();
  record({ provider: 'plura', fault: 'corrupt storage', ...corruptTally });

  // A full quota (every write throws QuotaExceededError), and storage disabled (merely reading
  // window.localStorage throws).
  const broken = [
    ['storage full', 'quota', () => {
      Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); };
    }],
    ['storage blocked', 'no storage', () => {
      Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('blocked', 'SecurityError'); } });
    }],
  ];
  for (const [fault, label, breakStorage] of broken) {
    await control(request, 'POST', '/plura/clear');
    const context = await browser.newContext();
    await context.addInitScript(breakStorage);
    page = await context.newPage();
    errors = await start(page, 'plura');
    const tally = await exchange(page, 'plura', label, 1);
    expect(errors).toEqual([]);
    await context.close();
    record({ provider: 'plura', fault, ...tally });
  }
});

test('two tabs of one PolyAI conversation: a stale write of the cursor is put right at once, and both settle on the highest', async ({ browser, request }) => {
  const context = await browser.newContext();
  const one = await context.newPage();
  await start(one, 'poly');
  await expect(w(one).incoming.first()).toHaveAttribute('data-status', 'received');
  const two = await context.newPage();
  await two.goto('/poly.html');
  await expect(w(two).incoming.first()).toBeAttached();
  const watch = () => {
    window.cursors = [];
    const key = Object.keys(localStorage).find((k) => k.startsWith('confab:poly') && k.endsWith(':session'));
    const read = () => JSON.parse(localStorage.getItem(key) || '{}').cursor;
    window.readCursor = read;
    window.addEventListener('storage', (e) => { if (e.key === key) window.cursors.push(JSON.parse(e.newValue || '{}').cursor); });
    const set = Storage.prototype.setItem;
    Storage.prototype.setItem = function (k, v) { set.call(this, k, v); if (k === key) window.cursors.push(read()); };
  };
  await one.evaluate(watch);
  await two.evaluate(watch);
  for (let k = 0; k < 5; k += 1) await control(request, 'POST', '/poly/history?count=3&live=true');
  await expect(w(one).incoming.filter({ hasText: 'History message' })).toHaveCount(15);
  await expect(w(two).incoming.filter({ hasText: 'History message' })).toHaveCount(15);
  const journal = await control(request, 'GET', '/poly/journal');
  const highest = Math.max(...Object.values(journal).flat().map((e) => e.sequence || 0));
  // Settled: both tabs read the highest sequence the server sent.
  await expect.poll(() => one.evaluate(() => window.readCursor())).toBe(highest);
  await expect.poll(() => two.evaluate(() => window.readCursor())).toBe(highest);
  // Writes from the other tab arrive late (storage events are asynchronous), so a tab's stored
  // value can dip for a moment; it is written back up at once, and both settle on the highest.
  await one.waitForTimeout(500);
  expect(await one.evaluate(() => window.readCursor())).toBe(highest);
  expect(await two.evaluate(() => window.readCursor())).toBe(highest);
  await context.close();
});

test('tokens never reach the console', async ({ page, request }) => {
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  await start(page, 'poly');
  await control(request, 'POST', '/poly/close?code=4002'); // a reconnect: the token is used again
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('open');
  await say(page, 'hello');
  await expect(w(page).incoming.filter({ hasText: 'Hello!' })).toHaveCount(1, { timeout: 15_000 });
  expect(logs.length).toBeGreaterThan(0);
  expect(logs.join('\n')).not.toMatch(/tok-[0-9a-f]{8}|access_token=|Bearer /);
});
