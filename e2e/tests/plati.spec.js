// Plati conversations (issue 5): SSE token streaming through fetch (bearer) and EventSource
// (proxy), non-streaming chat, cut streams with Retry, 401 refresh, reload.
const { test, expect } = require('@playwright/test');

const SERVER = `http://127.0.0.1:${process.env.CONFAB_TEST_PORT || 18080}`;

async function control(request, method, route, data) {
  const res = await request.fetch(`${SERVER}/control${route}`, { method, data });
  expect(res.ok(), `${method} /control${route}`).toBeTruthy();
  return res.status() === 204 ? null : res.json();
}
const requests = (request) => control(request, 'GET', '/plati/requests');
const configure = (request, config) => control(request, 'POST', '/plati/config', config);
const streams = async (request) => (await requests(request)).filter((r) => r.path.endsWith('/streaming'));

const w = (page) => ({
  launcher: page.locator('confab-widget .launcher'),
  input: page.locator('confab-widget textarea'),
  incoming: page.locator('confab-widget .message.in'),
  outgoing: page.locator('confab-widget .message.out'),
  notice: page.locator('confab-widget .notice'),
});

async function ask(page, text) {
  await w(page).launcher.click();
  await w(page).input.fill(text);
  await w(page).input.press('Enter');
}

test.beforeEach(async ({ request }) => {
  await control(request, 'POST', '/plati/clear');
});

test('fetch streaming with a bearer token: tokens build the answer, complete replaces it', async ({ page, request }) => {
  await configure(request, { delay_ms: 120, chunking: 'token' });
  await page.goto('/plati.html');
  await page.evaluate(() => { window.seen = []; Confab.on('message', (m) => window.seen.push(`${m.direction}:${m.text}`)); });
  await ask(page, 'What does it cost?');
  const answer = w(page).incoming.last();
  await expect(answer).toHaveAttribute('data-status', 'streaming');
  await expect(answer).toHaveAttribute('aria-busy', 'true');
  await expect(answer).toContainText('Plans');
  await expect(answer).toHaveAttribute('data-status', 'received', { timeout: 15_000 });
  await expect(answer.locator('.text')).toHaveText('Plans start at $29 a month, and the first 14 days are free.');
  await expect(w(page).outgoing.last()).toHaveAttribute('data-status', 'delivered');
  // The answer is announced once, complete, not token by token.
  expect(await page.evaluate(() => window.seen)).toEqual(['out:What does it cost?', 'in:Plans start at $29 a month, and the first 14 days are free.']);
  const reqs = await requests(request);
  expect(reqs.map((r) => r.path)).toEqual(['/plati-host/token', expect.stringMatching(/^\/conversation\/v[0-9a-f]{32}\/streaming$/)]);
  expect(reqs[1].authorization).toBe('Bearer tok-1');
  expect(reqs[1].query).toEqual({ channel_id: 'ch-e2e', message: 'What does it cost?' });
});

test('the tag\'s lead data goes to the identity first; a relative token URL is the page\'s own; URLs are exact', async ({ page, request }) => {
  await configure(request, { delay_ms: 2 });
  const tokenAsks = [];
  // The host's own endpoint, relative to the page: answered here with the development key,
  // which the emulator accepts.
  await page.route('**/api/chat-token*', (route) => {
    tokenAsks.push(route.request().url());
    route.fulfill({ json: { access_token: 'dev-key', expires_in: 3600 } });
  });
  const sent = [];
  page.on('request', (r) => { if (r.url().includes('/plati/')) sent.push(`${r.method()} ${r.url()}`); });
  await page.goto('/plati-lead.html');
  await ask(page, 'Is it free & open?');
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received');
  expect(tokenAsks).toEqual([`http://127.0.0.1:${process.env.CONFAB_HOST_PORT || 18081}/api/chat-token?site=e2e`]);
  const reqs = await requests(request);
  expect(reqs.map((r) => `${r.method} ${r.path}`)).toEqual([
    expect.stringMatching(/^PUT \/identity\/v[0-9a-f]{32}$/),
    expect.stringMatching(/^GET \/conversation\/v[0-9a-f]{32}\/streaming$/),
  ]);
  expect(reqs[0].body).toEqual({ email: 'ada@example.com', name: 'Ada' });
  expect(reqs[0].authorization).toBe('Bearer dev-key');
  // The stream's URL exactly as PROTOCOLS.md writes it: encodeURIComponent, nothing after.
  const visitor = reqs[1].path.split('/')[2];
  expect(sent.filter((r) => r.startsWith('GET'))).toEqual([
    `GET ${SERVER}/plati/conversation/${visitor}/streaming?channel_id=ch-e2e&message=Is%20it%20free%20%26%20open%3F`,
  ]);
  // Once a page: the next message goes straight out.
  await w(page).input.fill('thanks');
  await w(page).input.press('Enter');
  await expect(w(page).incoming).toHaveCount(2);
  expect((await requests(request)).filter((r) => r.method === 'PUT')).toHaveLength(1);
});

test('a complete event whose text differs from the tokens replaces what was streamed', async ({ page, request }) => {
  await configure(request, { delay_ms: 20, chunking: 'token', complete_text: 'Plans start at **$29**.' });
  await page.goto('/plati.html');
  await page.evaluate(() => { window.seen = []; Confab.on('message', (m) => window.seen.push(`${m.direction}:${m.text}`)); });
  await ask(page, 'What does it cost?');
  const answer = w(page).incoming.last();
  await expect(answer).toHaveAttribute('data-status', 'received', { timeout: 15_000 });
  await expect(answer.locator('.text')).toHaveText('Plans start at $29.');
  await expect(answer.locator('strong')).toHaveText('$29');
  expect(await page.evaluate(() => window.seen)).toEqual(['out:What does it cost?', 'in:Plans start at **$29**.']);
});

test('EventSource without a token (host proxy): one GET per message, never re-sent', async ({ page, request }) => {
  await configure(request, { delay_ms: 10 });
  await page.goto('/plati-proxy.html');
  await ask(page, 'hello there');
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received');
  await expect(w(page).incoming.last()).toContainText('Hello! What would you like to know about Acme?');
  await page.waitForTimeout(3500); // EventSource would reconnect after ~3 s if it were left open
  const s = await streams(request);
  expect(s).toHaveLength(1);
  expect(s[0].authorization).toBeNull();
});

for (const [page_, path] of [['plati.html', 'fetch'], ['plati-proxy.html', 'EventSource']]) {
  test(`a stream cut mid-answer (${path}) keeps the partial text, offers Retry, resends nothing by itself`, async ({ page, request }) => {
    await configure(request, { delay_ms: 20, cut_after: 3 });
    await page.goto(`/${page_}`);
    await ask(page, 'What does it cost?');
    const answer = w(page).incoming.last();
    await expect(answer).toHaveAttribute('data-status', 'interrupted');
    await expect(answer.locator('.text')).toHaveText('Plans start at ');
    await expect(answer.locator('.interrupted')).toBeVisible();
    await expect(w(page).notice).toContainText('cut off');
    await page.waitForTimeout(3500);
    expect(await streams(request)).toHaveLength(1);

    await configure(request, { delay_ms: 5 });
    await answer.locator('.retry').click();
    await expect(w(page).incoming).toHaveCount(1);
    await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received');
    await expect(w(page).incoming.last().locator('.text')).toHaveText('Plans start at $29 a month, and the first 14 days are free.');
    expect(await streams(request)).toHaveLength(2);
  });
}

test('writes split inside UTF-8 characters still give the exact text', async ({ page, request }) => {
  await configure(request, { delay_ms: 2, chunking: 'split' });
  await page.goto('/plati.html');
  await ask(page, 'Olá 世界 🙂');
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received');
  await expect(w(page).incoming.last().locator('.text')).toHaveText('You said: Olá 世界 🙂');
});

test('a 401 fetches a new token once and retries once', async ({ page, request }) => {
  await configure(request, { delay_ms: 2 });
  await page.goto('/plati.html');
  await ask(page, 'first');
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received');
  await control(request, 'POST', '/plati/revoke');
  await w(page).input.fill('second');
  await w(page).input.press('Enter');
  await expect(w(page).incoming).toHaveCount(2);
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received');
  const seq = (await requests(request)).map((r) => `${r.path.endsWith('token') ? 'token' : 'stream'}:${r.authorization}`);
  expect(seq).toEqual(['token:null', 'stream:Bearer tok-1', 'stream:Bearer tok-1', 'token:null', 'stream:Bearer tok-2']);
});

test('non-streaming mode posts the message and shows data.response', async ({ page, request }) => {
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  await page.goto('/plati-plain.html');
  await ask(page, 'hello');
  await expect(w(page).incoming.last()).toContainText('Hello! What would you like to know about Acme?');
  const [post] = (await requests(request)).filter((r) => r.method === 'POST');
  expect(post.path).toMatch(/^\/conversation\/v[0-9a-f]{32}\/chat\/ch-e2e$/);
  expect(post.body.text).toBe('hello');
  expect(post.authorization).toBe('Bearer dev-key');
  expect(warnings.some((t) => t.includes('data-api-key'))).toBe(true);
});

test('reload keeps the transcript and the identity', async ({ page, request }) => {
  await configure(request, { delay_ms: 2 });
  await page.goto('/plati.html');
  await ask(page, 'remember this');
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received');
  await page.reload();
  await expect(w(page).outgoing).toHaveCount(1);
  await expect(w(page).incoming).toHaveCount(1);
  await expect(w(page).outgoing.first()).toContainText('remember this');
  // The panel was open when the page went away, so it is open again.
  await w(page).input.fill('again');
  await w(page).input.press('Enter');
  await expect(w(page).incoming).toHaveCount(2);
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received');
  const paths = (await streams(request)).map((r) => r.path);
  expect(paths).toHaveLength(2);
  expect(paths[0]).toBe(paths[1]);
});

test('an error event shows its message; a missing channel is a clear configuration error', async ({ page, request }) => {
  await configure(request, { delay_ms: 2, error: 'The assistant is busy, try again soon' });
  await page.goto('/plati.html');
  await ask(page, 'hi');
  await expect(w(page).notice).toContainText('The assistant is busy, try again soon');
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'interrupted');

  await page.goto('/plati-missing.html');
  await ask(page, 'hi');
  await expect(w(page).notice).toContainText('not set up correctly');
  expect(await page.evaluate(() => Confab.state)).toBe('failed');
});

test('10 000 tokens as fast as the server can send them arrive whole', async ({ page, request }) => {
  await configure(request, { delay_ms: 0, chunking: 'many', tokens: 10_000 });
  await page.goto('/plati.html');
  await ask(page, 'long');
  const answer = w(page).incoming.last();
  await expect(answer).toHaveAttribute('data-status', 'received', { timeout: 30_000 });
  const text = await answer.locator('.text').textContent();
  expect(text.startsWith('t0 t1 t2 ')).toBe(true);
  expect(text.endsWith('t9998 t9999 ')).toBe(true);
  expect(text.split(' ').length).toBe(10_001);
});

// About 50 KB at once, then 1.5 s of silence before `complete`. Returns the answer's status
// in every frame that showed its whole text. With `clockBack`, the page's wall clock goes back
// an hour the moment the first words show (as when a laptop's time is corrected).
async function quietLongAnswer(page, request, clockBack) {
  await configure(request, { delay_ms: 0, chunking: 'many', tokens: 9_000, stall_ms: 1_500 });
  await page.goto('/plati.html');
  await w(page).launcher.click();
  await expect(w(page).input).toBeEnabled();
  await page.evaluate((back) => {
    window.__whole = [];
    const realNow = Date.now;
    const tick = () => {
      const r = document.querySelector('confab-widget').shadowRoot;
      const answer = [...r.querySelectorAll('.message.in')].pop();
      const text = answer ? answer.textContent : '';
      if (back && text.includes('t0 ') && Date.now === realNow) Date.now = () => realNow() - 3_600_000;
      if (text.includes('t8999 ')) window.__whole.push(answer.dataset.status);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, clockBack);
  await w(page).input.fill('long');
  await w(page).input.press('Enter');
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received', { timeout: 30_000 });
  if (clockBack) expect(await page.evaluate(() => Date.now() < performance.timeOrigin), 'the clock was set back').toBe(true);
  return page.evaluate(() => window.__whole);
}

test('a long answer is shown in full even when the stream then goes quiet', async ({ page, request }) => {
  // The update a long answer waits for must come by itself, not only with the next event.
  const statuses = await quietLongAnswer(page, request, false);
  expect(statuses[0], 'the whole text was on screen while the answer was still streaming').toBe('streaming');
});

test('a wall clock set back an hour mid-stream holds no text back', async ({ page, request }) => {
  const statuses = await quietLongAnswer(page, request, true);
  expect(statuses[0], 'the whole text was on screen while the answer was still streaming').toBe('streaming');
});

test('a streamed answer grows in place: its text is appended to one text node, frame by frame', async ({ page, request }) => {
  await configure(request, { delay_ms: 10, chunking: 'many', tokens: 300 });
  await page.goto('/plati.html');
  await w(page).launcher.click();
  await expect(w(page).input).toBeEnabled();
  // Every frame, the text node the answer's paragraph holds, and how long it is.
  await page.evaluate(() => {
    window.__seen = { nodes: new Set(), lengths: new Set() };
    const tick = () => {
      const r = document.querySelector('confab-widget').shadowRoot;
      const answer = [...r.querySelectorAll('.message.in')].find((m) => m.textContent.startsWith('t0 '));
      const node = answer && answer.querySelector('.rich p').firstChild;
      if (node) { window.__seen.nodes.add(node); window.__seen.lengths.add(node.length); }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await w(page).input.fill('long');
  await w(page).input.press('Enter');
  const answer = w(page).incoming.last();
  await expect(answer).toHaveAttribute('data-status', 'received', { timeout: 30_000 });
  await page.waitForTimeout(100);
  const seen = await page.evaluate(() => ({
    nodes: window.__seen.nodes.size,
    lengths: window.__seen.lengths.size,
    text: [...window.__seen.nodes][0].data,
    connected: [...window.__seen.nodes][0].isConnected,
  }));
  expect(seen.lengths, 'the answer was seen growing over several frames').toBeGreaterThanOrEqual(3);
  expect(seen.nodes, 'one text node from the first tokens to the last').toBe(1);
  expect(seen.connected).toBe(true);
  expect(seen.text.endsWith('t298 t299 ')).toBe(true);
});
