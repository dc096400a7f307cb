// Issue 7 (part): hostile text from every provider renders inert.
const { test, expect } = require('@playwright/test');

const CORPUS = [
  '<script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned = 2">',
  '<svg onload="window.__pwned = 3"></svg>',
  '[click](javascript:window.__pwned=4)',
  '<a href="javascript:window.__pwned=5">x</a>',
  '<style>* { display: none !important }</style>',
  '<iframe src="javascript:parent.__pwned=6"></iframe>',
];

const SERVER = `http://127.0.0.1:${process.env.CONFAB_TEST_PORT || 18080}`;

// Other suites leave emulator settings behind (e.g. Plati's 10 000-token answers): start clean.
test.beforeEach(async ({ request }) => {
  for (const emulator of ['plura', 'poly', 'plati', 'iraa']) {
    const res = await request.post(`${SERVER}/control/${emulator}/clear`);
    expect(res.ok()).toBeTruthy();
  }
});

// Each provider's scripted agent answers "You said: <text>", so the corpus comes back as agent text.
for (const [name, path, ready] of [
  ['Plura', '/plura.html', "Hi! I'm Ada"],
  ['PolyAI', '/poly.html', "Hello! I'm Poly"],
  ['Plati', '/plati-proxy.html', null],
  ['Iraa', '/iraa-frame.html', "I'm Iris"],
]) {
  test(`${name}: an XSS corpus in agent text renders as inert text`, async ({ page }) => {
    await page.addInitScript(() => { window.__pwned = 0; });
    await page.goto(path);
    await page.locator('confab-widget .launcher').click();
    if (ready) await expect(page.locator('confab-widget .message.in').first()).toContainText(ready);
    const input = page.locator('confab-widget textarea');
    const incoming = page.locator('confab-widget .message.in');
    const base = await incoming.count();
    for (const [i, text] of CORPUS.entries()) {
      await input.fill(text);
      await input.press('Enter');
      await expect(incoming).toHaveCount(base + i + 1, { timeout: 15_000 });
      await expect(incoming.last()).toHaveAttribute('data-status', 'received');
    }
    // The visitor's own copies are literal text too.
    await expect(page.locator('confab-widget .message.out .text', { hasText: CORPUS[1] })).toHaveCount(1);
    if (name !== 'Iraa') {
      await expect(page.locator('confab-widget .message.in .text', { hasText: `You said: ${CORPUS[1]}` })).toHaveCount(1);
    }
    const dom = await page.evaluate(() => {
      const root = document.querySelector('confab-widget').shadowRoot;
      const all = Array.from(root.querySelectorAll('*'));
      return {
        scripts: root.querySelectorAll('script, iframe, style, svg a, .message img, .message svg').length,
        handlers: all.filter((el) => Array.from(el.attributes).some((a) => a.name.startsWith('on'))).length,
        jsLinks: all.filter((el) => (el.getAttribute('href') || '').trim().toLowerCase().startsWith('javascript:')).length,
      };
    });
    expect(dom).toEqual({ scripts: 0, handlers: 0, jsLinks: 0 });
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => window.__pwned)).toBe(0);
    await expect(page.locator('confab-widget .launcher')).toBeVisible();
  });
}
