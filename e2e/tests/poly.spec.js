// PolyAI messaging (issue 4): replay, streamed chunks, exactly-once resume, 4001, SESSION_END, handoff.
const { test, expect } = require('@playwright/test');

const SERVER = `http://127.0.0.1:${process.env.CONFAB_TEST_PORT || 18080}`;

async function control(request, method, route, data) {
  const res = await request.fetch(`${SERVER}/control${route}`, { method, data });
  expect(res.ok(), `${method} /control${route}`).toBeTruthy();
  return res.status() === 204 ? null : res.json();
}
const clientFrames = async (request) => (await control(request, 'GET', '/poly/frames')).map((f) => JSON.parse(f.raw));
const connects = (request) => control(request, 'GET', '/poly/connects');

const w = (page) => ({
  launcher: page.locator('confab-widget .launcher'),
  input: page.locator('confab-widget textarea'),
  incoming: page.locator('confab-widget .message.in'),
  outgoing: page.locator('confab-widget .message.out'),
  system: page.locator('confab-widget .system'),
  title: page.locator('confab-widget .title'),
});

const GREETING = "Hello! I'm Poly, the Acme assistant. How can I help?";
const PRICE = 'Plans start at $29 a month, and the first 14 days are free.';

async function open(page) {
  await page.goto('/poly.html');
  await w(page).launcher.click();
  await expect(w(page).incoming.first().locator('.text')).toHaveText(GREETING);
  await expect(w(page).incoming.first()).toHaveAttribute('data-status', 'received');
}

async function say(page, text) {
  await w(page).input.fill(text);
  await w(page).input.press('Enter');
}

test.beforeEach(async ({ request }) => {
  await control(request, 'POST', '/poly/clear');
});

test('a new session joins once, the greeting streams in, chips send, the echo marks delivery', async ({ page, request }) => {
  await open(page);
  await expect(w(page).title).toHaveText('Poly');
  await page.locator('confab-widget .chip', { hasText: 'Opening hours' }).click();
  await expect(w(page).outgoing.last()).toHaveAttribute('data-status', 'delivered');
  await expect(w(page).incoming).toHaveCount(2);
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received');
  const frames = await clientFrames(request);
  const types = frames.map((f) => f.type);
  expect(types.filter((t) => t === 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN')).toHaveLength(1);
  const message = frames.find((f) => f.type === 'EVENT_TYPE_USER_MESSAGE');
  expect(message.payload).toEqual({ text: 'Opening hours' });
  expect(message.metadata.custom.client_event_id).toMatch(/^c/);
  const [first] = await connects(request);
  expect(first.cursor).toBeNull();
});

test('attachments render as safe cards and the latest message offers its chips', async ({ page }) => {
  await open(page);
  await say(page, 'Opening hours?');
  const msg = w(page).incoming.last();
  await expect(msg.locator('.text')).toHaveText("We're open 9 to 5, Monday to Friday.");
  const cards = msg.locator('a.card');
  await expect(cards).toHaveCount(1); // the javascript: card is dropped
  await expect(cards.first()).toHaveAttribute('href', 'https://example.com/locations');
  await expect(cards.first()).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(cards.first()).toHaveAttribute('target', '_blank');
  await expect(cards.first()).toContainText('View locations');
  await expect(msg.locator('.chip')).toHaveText(['Talk to a human']);
  // The greeting's chips are hidden now that a newer message is last.
  await expect(w(page).incoming.first().locator('.chips')).toBeHidden();
});

test('a drop in the middle of a streamed answer resumes to exactly the full text once', async ({ page, request }) => {
  await open(page);
  await control(request, 'POST', '/poly/faults', { drop_after_chunks: 2 });
  await say(page, 'What is the price?');
  await expect(w(page).incoming).toHaveCount(2);
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received', { timeout: 20_000 });
  await expect(w(page).incoming.last().locator('.text')).toHaveText(PRICE);
  const c = await connects(request);
  expect(c.length).toBeGreaterThanOrEqual(2);
  expect(Number(c[c.length - 1].cursor)).toBeGreaterThan(0);
  // Exactly once: the greeting and the answer, no repeated text anywhere.
  expect(await w(page).incoming.locator('.text').allTextContents()).toEqual([GREETING, PRICE]);
  expect((await clientFrames(request)).filter((f) => f.type === 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN')).toHaveLength(1);
});

test('a reload shows the same transcript with no duplicates, even when the server replays with overlap and doubles events', async ({ page, request }) => {
  await open(page);
  await say(page, 'What is the price?');
  await expect(w(page).incoming.last().locator('.text')).toHaveText(PRICE);
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received');
  await control(request, 'POST', '/poly/faults', { replay_overlap: 100, duplicate: true });
  await page.reload();
  await expect(w(page).incoming.last()).toHaveAttribute('data-status', 'received');
  await page.waitForTimeout(1000);
  expect(await w(page).incoming.locator('.text').allTextContents()).toEqual([GREETING, PRICE]);
  expect(await w(page).outgoing.locator('.text').allTextContents()).toEqual(['What is the price?']);
  const c = await connects(request);
  expect(c[c.length - 1].cursor).toMatch(/^\d+$/);
  expect((await clientFrames(request)).filter((f) => f.type === 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN')).toHaveLength(1);
  // Still working after all that.
  await say(page, 'hello');
  await expect(w(page).incoming.last().locator('.text')).toHaveText('Hello! What would you like to know about Acme?');
});

test('close code 4001 starts a new session and the visitor is told', async ({ page, request }) => {
  await open(page);
  await control(request, 'POST', '/poly/close?code=4001');
  await expect(w(page).system.last()).toContainText('expired');
  await expect(w(page).incoming.last().locator('.text')).toHaveText(GREETING);
  await expect(w(page).incoming).toHaveCount(2); // the new session greets again
  const c = await connects(request);
  expect(new Set(c.map((x) => x.session_id)).size).toBe(2);
  expect(c[c.length - 1].cursor).toBeNull();
  expect((await clientFrames(request)).filter((f) => f.type === 'EVENT_TYPE_REQUEST_POLY_AGENT_JOIN')).toHaveLength(2);
});

test('End chat: SESSION_END offers a new chat, which starts a fresh session', async ({ page, request }) => {
  await open(page);
  await page.locator('confab-widget .end').click();
  await expect(w(page).system.last()).toContainText('This conversation has ended.');
  await expect(page.locator('confab-widget .new-chat')).toBeVisible();
  expect(await page.evaluate(() => Confab.state)).toBe('ended');
  await page.locator('confab-widget .new-chat').click();
  await expect(w(page).incoming).toHaveCount(1);
  await expect(w(page).incoming.first().locator('.text')).toHaveText(GREETING);
  const c = await connects(request);
  expect(new Set(c.map((x) => x.session_id)).size).toBe(2);
  expect((await clientFrames(request)).some((f) => f.type === 'EVENT_TYPE_USER_END_SESSION')).toBe(true);
});

test('handoff shows the queue position and the live agent', async ({ page }) => {
  await open(page);
  await say(page, 'I want a human');
  await expect(w(page).system.filter({ hasText: 'Connecting you with a member of our team' })).toHaveCount(1);
  await expect(w(page).system.filter({ hasText: 'You are number 2 in the queue for Support' })).toHaveCount(1);
  await expect(w(page).system.filter({ hasText: 'Sarah joined the chat.' })).toHaveCount(1);
  await expect(w(page).title).toHaveText('Sarah');
  await expect(w(page).incoming.last().locator('.text')).toHaveText("Hi, I'm Sarah from Acme. How can I help?");
  await say(page, 'my order is late');
  await expect(w(page).incoming.last().locator('.text')).toHaveText('Sarah here: you said "my order is late".');
});

test('refused handshakes are retried with backoff and the conversation resumes', async ({ page, request }) => {
  await open(page);
  await control(request, 'POST', '/poly/refuse?seconds=3');
  await control(request, 'POST', '/poly/close?code=4002');
  await expect.poll(() => page.evaluate(() => Confab.state)).toBe('reconnecting');
  await say(page, 'hello');
  await expect(w(page).outgoing.last()).toHaveAttribute('data-status', 'pending');
  await expect.poll(() => page.evaluate(() => Confab.state), { timeout: 30_000 }).toBe('open');
  await expect(w(page).outgoing.last()).toHaveAttribute('data-status', 'delivered');
  await expect(w(page).incoming.last().locator('.text')).toHaveText('Hello! What would you like to know about Acme?');
  expect((await clientFrames(request)).filter((f) => f.type === 'EVENT_TYPE_USER_MESSAGE')).toHaveLength(1);
});
