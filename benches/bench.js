// `make bench`: Confab beside its peers (deep-chat, flowise-embed, Bot Framework Web Chat,
// pinned in benches/package.json), each on the same plain page, in headless Chromium, against
// the devserver that benches/run.sh starts. Medians over BENCH_RUNS runs (15 by default).
// Writes benches/results.json and benches/results.md.
'use strict';
const path = require('path');
const fs = require('fs');
const zlib = require('zlib');
const os = require('os');
const { chromium } = require(path.join(__dirname, '..', 'e2e', 'node_modules', 'playwright-core'));

const BASE = process.env.BENCH_BASE || 'http://127.0.0.1:18090';
const RUNS = Number(process.env.BENCH_RUNS || 15);
// deep-chat spends tens of seconds in single tasks on the streaming and history measures.
const SLOW_RUNS = Math.min(RUNS, Number(process.env.BENCH_SLOW_RUNS || 3));
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 1) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);

// When each widget can be used: Confab's launcher, deep-chat's input, flowise's bubble, Web
// Chat's send box; visible with a size, checked every frame.
const WIDGETS = [
  { id: 'bare', name: 'bare page (no widget)', url: '/bare.html', probe: null },
  { id: 'confab', name: 'Confab', url: '/confab.html',
    probe: "(() => { const h = document.querySelector('confab-widget'); const b = h && h.shadowRoot && h.shadowRoot.querySelector('.launcher'); return !!(b && b.getBoundingClientRect().width > 0); })()" },
  { id: 'deep-chat', name: 'deep-chat 2.4.2', url: '/deep-chat.html',
    probe: "(() => { const d = document.querySelector('deep-chat'); const r = d && d.shadowRoot; const i = r && (r.querySelector('#text-input') || r.querySelector('[contenteditable]')); return !!(i && i.getBoundingClientRect().width > 0); })()" },
  { id: 'flowise', name: 'flowise-embed 3.1.6', url: '/flowise.html',
    probe: "(() => { const f = document.querySelector('flowise-chatbot'); const r = f && f.shadowRoot; const b = r && r.querySelector('button'); return !!(b && b.getBoundingClientRect().width > 0); })()" },
  { id: 'webchat', name: 'Web Chat minimal 4.18.1', url: '/webchat.html',
    probe: "(() => { const i = document.querySelector('#webchat .webchat__send-box-text-box__input'); return !!(i && i.getBoundingClientRect().width > 0); })()" },
];

// The API paths of the emulators: not part of what a widget "loads".
const API = /^\/(plura|poly|poly-host|plati|plati-host|iraa|bench|flowise|directline|control)\//;

function watchReady(probe) {
  // In the page: a frame loop recording when the probe first holds.
  return `(() => {
    window.__ready = null;
    const check = new Function('return ' + ${JSON.stringify(probe || 'false')});
    const tick = () => { try { if (check()) { window.__ready = performance.now(); return; } } catch (e) {} requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    window.__long = [];
    try { new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push([e.startTime, e.duration]))).observe({ type: 'longtask', buffered: true }); } catch (e) {}
  })()`;
}

async function control(method, route, body) {
  const res = await fetch(`${BASE}/control${route}`, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  if (!res.ok) throw new Error(`${method} /control${route}: ${res.status}`);
}

const gzipCache = new Map();
async function gzipSize(url) {
  if (!gzipCache.has(url)) {
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    gzipCache.set(url, { raw: body.length, gzip: zlib.gzipSync(body, { level: 9 }).length });
  }
  return gzipCache.get(url);
}

function kind(url) {
  const p = new URL(url).pathname;
  if (p.endsWith('/embed.js')) return 'loader';
  if (p.endsWith('.wasm')) return 'wasm';
  if (/\.(m?js)$/.test(p)) return 'js';
  if (p.endsWith('.css')) return 'css';
  return 'other';
}

// flowise-embed's bubble is on the page.
const flowiseBubble = (page) => page.waitForFunction(() => { const h = document.querySelector('flowise-chatbot'); return h && h.shadowRoot && h.shadowRoot.querySelector('button[part=button]'); }, null, { timeout: 30_000 });
// A click on flowise-embed's bubble, as soon as it is on the page.
const flowiseClick = async (page) => {
  await flowiseBubble(page);
  await page.evaluate(() => document.querySelector('flowise-chatbot').shadowRoot.querySelector('button[part=button]').click());
};
// Opens flowise-embed: a click on its bubble, then its input enabled and focused.
const flowiseOpen = async (page) => {
  await flowiseClick(page);
  await page.waitForFunction(() => { const r = document.querySelector('flowise-chatbot').shadowRoot; const t = r.querySelector('textarea'); return t && !t.disabled && r.activeElement === t; }, null, { timeout: 30_000 });
};
// Types `text` into flowise-embed's input and sends it with Enter. Its key handler listens on
// the document, so the key event must leave the shadow root. Returns when it was sent, on the
// page's clock.
const flowiseSend = async (page, text) => {
  await page.locator('flowise-chatbot textarea').fill(text);
  return page.evaluate(() => {
    const t = performance.now();
    document.querySelector('flowise-chatbot').shadowRoot.querySelector('textarea').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
    return t;
  });
};
// deep-chat shows its intro message.
const deepChatIntro = (page) => page.waitForFunction(() => { const d = document.querySelector('deep-chat'); return d && d.shadowRoot && d.shadowRoot.textContent.includes('How can I help'); }, null, { timeout: 30_000 });

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-precise-memory-info'],
  });
  const results = { date: new Date().toISOString(), runs: RUNS, machine: `${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.arch()}`, chromium: browser.version(), widgets: {} };

  // 1 and 2: transfer size and launcher time, every widget, a fresh browser profile per run.
  for (const wdg of WIDGETS) {
    const times = [];
    const fcps = [];
    let transfer = null;
    for (let run = 0; run < RUNS; run += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.addInitScript(watchReady(wdg.probe));
      await page.goto(BASE + wdg.url, { waitUntil: 'load' });
      if (wdg.probe) {
        await page.waitForFunction(() => window.__ready !== null, null, { timeout: 30_000 });
        times.push(await page.evaluate(() => window.__ready));
      }
      await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout: 10_000 }).catch(() => {});
      fcps.push(await page.evaluate(() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime));
      if (run === 0 && wdg.probe) {
        // Everything loaded before the widget can chat: Confab fetches its bundle on the first
        // interaction, so it is opened and its greeting awaited; peers get a quiet moment.
        if (wdg.id === 'confab') {
          await page.locator('confab-widget .launcher').click();
          await page.waitForFunction(() => { const r = document.querySelector('confab-widget').shadowRoot; return r.querySelector('.message.in') && !r.querySelector('textarea').disabled; }, null, { timeout: 30_000 });
        }
        await page.waitForTimeout(2500);
        const urls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
        const own = [...new Set(urls)].filter((u) => u.startsWith(BASE) && !API.test(new URL(u).pathname));
        transfer = { loader: 0, js: 0, wasm: 0, css: 0, other: 0, total: 0, raw: 0, files: own.length };
        for (const u of own) {
          const size = await gzipSize(u);
          transfer[kind(u)] += size.gzip;
          transfer.total += size.gzip;
          transfer.raw += size.raw;
        }
      }
      await context.close();
    }
    results.widgets[wdg.id] = { name: wdg.name, transfer, launcherMs: median(times), firstPaintMs: median(fcps) };
    process.stderr.write(`${wdg.name}: launcher ${round(median(times))} ms, first paint ${round(median(fcps))} ms\n`);
  }
  const bare = results.widgets.bare.firstPaintMs;
  for (const w of Object.values(results.widgets)) if (w.launcherMs != null) w.addedMs = w.launcherMs - bare;

  // 3: ready time, a new visitor with the bundle in the browser's cache.
  {
    const context = await browser.newContext();
    await context.addInitScript(() => { try { localStorage.clear(); } catch (e) {} });
    const times = [];
    // Runs fall into two groups: the loader fetched the bundle at idle before the click, or
    // the click fetched it (and compiled it on the main thread). Both are kept apart too.
    const preloaded = [];
    const byClick = [];
    for (let run = 0; run <= RUNS; run += 1) {
      const page = await context.newPage();
      await page.goto(BASE + '/confab.html');
      await page.locator('confab-widget .launcher').waitFor();
      const [t, early] = await page.evaluate(() => new Promise((resolve) => {
        const early = performance.getEntriesByType('resource').some((e) => e.name.includes('confab_bg.wasm'));
        const t0 = performance.now();
        document.querySelector('confab-widget').shadowRoot.querySelector('.launcher').click();
        const tick = () => {
          const r = document.querySelector('confab-widget').shadowRoot;
          const input = r.querySelector('textarea');
          if (input && !input.disabled && r.querySelector('.message.in') && r.activeElement === input) return resolve([performance.now() - t0, early]);
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }));
      if (run > 0) { // run 0 fills the cache
        times.push(t);
        (early ? preloaded : byClick).push(t);
      }
      await page.close();
    }
    await context.close();
    results.readyMs = median(times);
    results.readySplit = {
      preloaded: { runs: preloaded.length, ms: preloaded.length ? median(preloaded) : null },
      loadedByClick: { runs: byClick.length, ms: byClick.length ? median(byClick) : null },
    };
    const split = results.readySplit;
    process.stderr.write(`Confab ready: ${round(results.readyMs)} ms (bundle loaded before the click: ${split.preloaded.runs} runs, ${round(split.preloaded.ms)} ms; by the click: ${split.loadedByClick.runs} runs, ${round(split.loadedByClick.ms)} ms)\n`);
  }
  // 3b: the same for flowise-embed, the one peer with a launcher: a click on its bubble to its
  // input focused with its welcome message on screen. It draws that message itself (the
  // devserver does not answer its config request, so its defaults show); Confab's greeting
  // comes from the Plura emulator, a round trip after the click.
  {
    const context = await browser.newContext();
    const times = [];
    for (let run = 0; run <= RUNS; run += 1) {
      const page = await context.newPage();
      await page.goto(BASE + '/flowise.html');
      await flowiseBubble(page);
      const t = await page.evaluate(() => new Promise((resolve) => {
        const r = document.querySelector('flowise-chatbot').shadowRoot;
        const t0 = performance.now();
        r.querySelector('button[part=button]').click();
        const shown = (e) => e.getClientRects().length > 0;
        const tick = () => {
          const input = r.querySelector('textarea');
          const greeting = [...r.querySelectorAll('span, div, p')].some((e) => !e.children.length && e.textContent.trim() === 'Hi there! How can I help?' && shown(e));
          if (input && !input.disabled && shown(input) && r.activeElement === input && greeting) return resolve(performance.now() - t0);
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }));
      if (run > 0) times.push(t); // run 0 fills the cache, as for Confab
      await page.close();
    }
    await context.close();
    results.widgets.flowise.readyMs = median(times);
    process.stderr.write(`flowise-embed ready: ${round(median(times))} ms\n`);
  }

  // 4: streaming 10 000 tokens as fast as the server sends them.
  async function stream(id, url, start, done, requestPath, runs = RUNS) {
    const totals = [];
    const ratios = [];
    const lastBytes = [];
    const longest = [];
    for (let run = 0; run < runs; run += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.addInitScript(watchReady(null));
      await page.goto(BASE + url);
      const t0 = await start(page);
      // Polled from here: deep-chat's page never satisfies Playwright's waitForFunction,
      // though the same check evaluated directly holds.
      const deadline = Date.now() + 60_000;
      while (!(await page.evaluate(done))) {
        if (Date.now() > deadline) throw new Error(`${id}: the final text never showed`);
        await new Promise((r) => setTimeout(r, 5));
      }
      const tEnd = await page.evaluate(() => performance.now());
      const lastByte = await page.evaluate((p) => {
        const e = performance.getEntriesByType('resource').filter((r) => r.name.includes(p)).pop();
        return e ? e.responseEnd : null;
      }, requestPath);
      totals.push(tEnd - t0);
      if (lastByte) {
        ratios.push((tEnd - t0) / Math.max(1, lastByte - t0));
        lastBytes.push(lastByte - t0);
      }
      // Only tasks that began once the message was sent: loading the page is not streaming.
      longest.push(Math.max(0, ...(await page.evaluate((t) => window.__long.filter(([at]) => at >= t).map(([, d]) => d), t0))));
      await context.close();
    }
    results.widgets[id].streaming = { runs, totalMs: median(totals), lastByteMs: median(lastBytes), ratioToLastByte: median(ratios), longestTaskMs: median(longest) };
    process.stderr.write(`${id} streaming: ${round(median(totals))} ms, ratio ${round(median(ratios), 2)}, longest task ${round(median(longest))} ms\n`);
  }
  await control('POST', '/plati/config', { delay_ms: 0, chunking: 'many', tokens: 10_000 });
  // Confab's panel open and ready first, as deep-chat's is below: the figures are about the
  // stream.
  const readyPanel = async (page) => {
    await page.waitForFunction(() => { const h = document.querySelector('confab-widget'); return h && h.shadowRoot.querySelector('.confab'); }, null, { timeout: 30_000 });
    await page.evaluate(() => Confab.open());
    await page.waitForFunction(() => { const t = document.querySelector('confab-widget').shadowRoot.querySelector('textarea'); return t && !t.disabled; }, null, { timeout: 30_000 });
    await page.waitForTimeout(300);
  };
  // Sends 'long'; returns when, on the page's clock.
  const sendLong = (page) => page.evaluate(() => { const t = performance.now(); Confab.send('long'); return t; });
  const longAnswered = () => {
    const m = [...document.querySelector('confab-widget').shadowRoot.querySelectorAll('.message.in')].pop();
    return !!(m && m.dataset.status === 'received' && m.textContent.includes('t9999'));
  };
  await stream('confab', '/confab-plati.html', async (page) => { await readyPanel(page); return sendLong(page); }, longAnswered, '/streaming');
  await stream('deep-chat', '/deep-chat.html', async (page) => {
    await page.waitForFunction(() => { const d = document.querySelector('deep-chat'); return d && typeof d.submitUserMessage === 'function' && d.shadowRoot && d.shadowRoot.querySelector('#text-input') && d.shadowRoot.textContent.includes('How can I help'); }, null, { timeout: 30_000 });
    await page.waitForTimeout(300);
    return page.evaluate(() => { const t = performance.now(); document.querySelector('deep-chat').submitUserMessage({ text: 'long' }); return t; });
  }, () => {
    const d = document.querySelector('deep-chat');
    const all = d && d.shadowRoot ? d.shadowRoot.textContent : '';
    return all.includes('t9999');
  }, '/bench/deep-chat', SLOW_RUNS); // about 70 s a run
  // flowise-embed from the devserver's Flowise prediction stream (the same 10 000 tokens, in
  // Flowise's events), sent from its own input: it has no method to send with.
  await stream('flowise', '/flowise.html', async (page) => {
    await flowiseOpen(page);
    await page.waitForTimeout(300);
    return flowiseSend(page, 'long');
  }, () => document.querySelector('flowise-chatbot').shadowRoot.textContent.includes('t9999'), '/flowise/api/v1/prediction', SLOW_RUNS); // about 8 s a run

  // 4b: the same answer at a steady pace (ten tokens every 2 ms, about 3 s): what the page's
  // main thread spends on it while it streams (CDP Performance metrics, whole page).
  {
    await control('POST', '/plati/config', { delay_ms: 2, chunking: 'many', tokens: 10_000 });
    const tasks = [];
    const layouts = [];
    const walls = [];
    const afterLast = [];
    const ratios = [];
    for (let run = 0; run < RUNS; run += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
      await page.goto(BASE + '/confab-plati.html');
      await readyPanel(page);
      const before = await metrics();
      const t0 = await sendLong(page);
      // Watched in the page, not polled from here: a poll every few ms would cost the page's
      // main thread more than the widget does. Once the browser has the whole response (a
      // resource timing entry), the page checks every 5 ms, as 4 does from outside.
      const [t1, end] = await page.evaluate(`new Promise((resolve, reject) => {
        const done = ${longAnswered.toString()};
        const lastByte = () => {
          const e = performance.getEntriesByType('resource').filter((r) => r.name.includes('/streaming')).pop();
          return e ? e.responseEnd : null;
        };
        const giveUp = setTimeout(() => reject(new Error('confab: the steady answer never showed in full')), 60000);
        const check = () => {
          if (done()) { clearTimeout(giveUp); resolve([performance.now(), lastByte()]); } else setTimeout(check, 5);
        };
        if (lastByte() != null) check();
        else new PerformanceObserver((list, observer) => {
          if (list.getEntries().some((e) => e.name.includes('/streaming'))) { observer.disconnect(); check(); }
        }).observe({ type: 'resource' });
      })`);
      const after = await metrics();
      tasks.push((after.TaskDuration - before.TaskDuration) * 1000);
      layouts.push((after.LayoutDuration - before.LayoutDuration) * 1000);
      walls.push(t1 - t0);
      if (end != null) {
        afterLast.push(t1 - end);
        ratios.push((t1 - t0) / Math.max(1, end - t0));
      }
      await context.close();
    }
    results.widgets.confab.steadyStream = {
      runs: RUNS, wallMs: median(walls), mainThreadMs: median(tasks), layoutMs: median(layouts),
      afterLastByteMs: afterLast.length ? median(afterLast) : null,
      ratioToLastByte: ratios.length ? median(ratios) : null,
    };
    process.stderr.write(`Confab steady stream: ${round(median(walls))} ms (${round(median(afterLast))} ms after the last byte, ratio ${round(median(ratios), 3)}), main thread ${round(median(tasks))} ms, layout ${round(median(layouts))} ms\n`);
  }

  // 4c: the browser's own share of the burst, with no widget. On the bare page, boxes laid
  // out as Confab's panel and answer are (widget.css: a 380 × 600 px list with 14 px padding;
  // the row at most 82 % wide; the bubble with 8 × 12 px padding, its background and radius;
  // a paragraph in it, pre-wrap; the 15 px system font), given the burst's whole answer at
  // once as one text node (the same 60 KB the emulator streams), then scrolled to its end as
  // a chat does: the time until that layout is done, and until the next frame. A fresh page
  // each run: text the page has never shaped, as in the burst. A widget that shows the answer
  // whole pays about this after the last byte, so (time to the last byte + this) ÷ (time to
  // the last byte) is about the lowest ratio it could read here.
  {
    const layouts = [];
    const frames = [];
    for (let run = 0; run < RUNS; run += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(BASE + '/bare.html');
      await page.waitForTimeout(300);
      const [layout, frame] = await page.evaluate((tokens) => new Promise((resolve) => {
        const box = (tag, css, parent) => {
          const e = document.createElement(tag);
          e.style.cssText = css;
          if (parent) parent.append(e);
          return e;
        };
        const panel = box('div', 'position:fixed;right:20px;bottom:88px;width:380px;height:600px;overflow-y:auto;box-sizing:border-box;padding:14px;display:flex;flex-direction:column;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif');
        const row = box('div', 'display:flex;flex-direction:column;max-width:82%;align-self:flex-start', panel);
        const bubble = box('div', 'padding:8px 12px;border-radius:16px;overflow-wrap:anywhere;background:#eef0f4', row);
        const text = box('p', 'margin:0;white-space:pre-wrap', bubble);
        document.body.append(panel);
        void panel.offsetHeight;
        let answer = '';
        for (let i = 0; i < tokens; i += 1) answer += `t${i} `;
        const t0 = performance.now();
        text.textContent = answer;
        panel.scrollTop = panel.scrollHeight;
        const t1 = performance.now();
        requestAnimationFrame(() => setTimeout(() => resolve([t1 - t0, performance.now() - t0]), 0));
      }), 10_000);
      layouts.push(layout);
      frames.push(frame);
      await context.close();
    }
    const lastByte = results.widgets.confab.streaming.lastByteMs;
    const layoutMs = median(layouts);
    results.burstFloor = {
      runs: RUNS, layoutMs, frameMs: median(frames),
      ratioToConfabLastByte: lastByte ? (lastByte + layoutMs) / lastByte : null,
    };
    process.stderr.write(`burst floor, bare page: layout ${round(layoutMs)} ms, next frame ${round(median(frames))} ms\n`);
  }

  // 5: long history, 5 000 messages replayed by PolyAI at open; memory afterwards.
  // Watched in the page: when the last `selector` in `host`'s shadow root holds the 5 000th
  // message, from navigation.
  const historyShown = (page, host, selector) => page.evaluate(([h, sel]) => new Promise((resolve) => {
    const tick = () => {
      const el = document.querySelector(h);
      const all = el && el.shadowRoot ? el.shadowRoot.querySelectorAll(sel) : [];
      const last = all[all.length - 1];
      if (last && last.textContent.includes('History message 5000 of 5000')) return resolve(performance.now());
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }), [host, selector]);
  const heapAfterGc = async (context, page) => {
    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize;
  };
  {
    const times = [];
    const heaps = [];
    const wasms = [];
    for (let run = 0; run < RUNS; run += 1) {
      await control('POST', '/poly/clear');
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(BASE + '/confab-poly.html');
      await page.locator('confab-widget .launcher').click();
      await page.waitForFunction(() => { const m = document.querySelector('confab-widget').shadowRoot.querySelector('.message.in'); return m && m.dataset.status === 'received'; }, null, { timeout: 30_000 });
      await control('POST', '/poly/history?count=5000');
      await page.reload();
      times.push(await historyShown(page, 'confab-widget', '.message.in'));
      heaps.push(await heapAfterGc(context, page));
      wasms.push(await page.evaluate(() => Confab.stats().wasmBytes));
      await context.close();
    }
    results.history = { messages: 5000, renderedMs: median(times), jsHeapBytes: median(heaps), wasmBytes: median(wasms) };
    process.stderr.write(`history: ${round(median(times))} ms, heap ${median(heaps)} + wasm ${median(wasms)} bytes\n`);
  }
  // 5b: deep-chat with the same 5 000 messages through its own `history` property (it speaks
  // none of the protocols the devserver replays history in): navigation to the last one on
  // screen, then the JS heap.
  {
    const times = [];
    const heaps = [];
    for (let run = 0; run < SLOW_RUNS; run += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(BASE + '/deep-chat-history.html', { timeout: 180_000 });
      times.push(await historyShown(page, 'deep-chat', '.message-bubble'));
      heaps.push(await heapAfterGc(context, page));
      await context.close();
    }
    results.widgets['deep-chat'].history = { messages: 5000, runs: SLOW_RUNS, renderedMs: median(times), jsHeapBytes: median(heaps) };
    process.stderr.write(`deep-chat history: ${round(median(times))} ms, heap ${median(heaps)} bytes\n`);
  }
  // 5c: flowise-embed restores a returning visitor's conversation from its own localStorage
  // record (it replays none from a server). The record, 5 000 agent messages in its format,
  // is written on a first page of the same origin; then its page, a click on its bubble as
  // soon as it shows (it draws the conversation when opened), and navigation to the last
  // message on screen.
  {
    const times = [];
    const heaps = [];
    for (let run = 0; run < RUNS; run += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(BASE + '/bare.html');
      await page.evaluate(() => {
        const chatHistory = Array.from({ length: 5000 }, (_, i) => ({ messageId: `h${i}`, message: `History message ${i + 1} of 5000`, type: 'apiMessage', dateTime: new Date().toISOString() }));
        localStorage.setItem('bench_EXTERNAL', JSON.stringify({ chatId: 'bench-history', chatHistory }));
      });
      await page.goto(BASE + '/flowise.html');
      await flowiseClick(page);
      times.push(await historyShown(page, 'flowise-chatbot', '.chatbot-host-bubble'));
      heaps.push(await heapAfterGc(context, page));
      await context.close();
    }
    results.widgets.flowise.history = { messages: 5000, runs: RUNS, renderedMs: median(times), jsHeapBytes: median(heaps) };
    process.stderr.write(`flowise-embed history: ${round(median(times))} ms, heap ${median(heaps)} bytes\n`);
  }

  // 6: idle cost, main-thread time per minute of (fake) time with the panel open.
  async function idle(url, prepare) {
    const costs = [];
    for (let run = 0; run < RUNS; run += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.clock.install();
      await page.goto(BASE + url);
      await prepare(page);
      await page.waitForTimeout(500);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const task = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
      const before = await task();
      await page.clock.runFor(60_000);
      await page.waitForTimeout(300);
      costs.push((await task()) - before);
      await context.close();
    }
    return median(costs) * 1000;
  }
  const bareIdle = await idle('/bare.html', async () => {});
  const confabIdle = await idle('/confab.html', async (page) => {
    await page.locator('confab-widget .launcher').click();
    await page.waitForFunction(() => { const m = document.querySelector('confab-widget').shadowRoot.querySelector('.message.in'); return !!m; }, null, { timeout: 30_000 });
  });
  // deep-chat is always open; it is idle once its intro message shows.
  const deepChatIdle = await idle('/deep-chat.html', deepChatIntro);
  // flowise-embed is idle once opened, its input focused with its welcome message.
  const flowiseIdle = await idle('/flowise.html', flowiseOpen);
  results.idle = {
    bareMsPerMinute: bareIdle, confabMsPerMinute: confabIdle, confabOwnMsPerMinute: confabIdle - bareIdle,
    deepChatMsPerMinute: deepChatIdle, deepChatOwnMsPerMinute: deepChatIdle - bareIdle,
    flowiseMsPerMinute: flowiseIdle, flowiseOwnMsPerMinute: flowiseIdle - bareIdle,
  };
  process.stderr.write(`idle: Confab ${round(confabIdle, 2)} ms/min, deep-chat ${round(deepChatIdle, 2)} ms/min, flowise-embed ${round(flowiseIdle, 2)} ms/min, bare page ${round(bareIdle, 2)} ms/min\n`);

  // Memory after 100 exchanges and after 1 000, each with the conversation kept and then after
  // the widget's reset.
  const leakPoints = async (exchange, measure, afterReset) => {
    await exchange(0, 100);
    const kept100 = await measure();
    const at100 = await afterReset();
    await exchange(100, 1000);
    const kept1000 = await measure();
    const at1000 = await afterReset();
    return { kept100, kept1000, at100, at1000 };
  };
  // 7: leak check, memory after 1 000 exchanges against after 100. The view keeps up to
  // 5 000 messages by design, so each point is also taken after Confab.reset() (conversation
  // forgotten, greeting back): what is still held then is what leaked.
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(BASE + '/confab.html');
    await page.locator('confab-widget .launcher').click();
    const greeted = () => page.waitForFunction(() => { const r = document.querySelector('confab-widget').shadowRoot; return r.querySelectorAll('.message').length === 1 && !!r.querySelector('.message.in'); }, null, { timeout: 30_000 });
    await greeted();
    const cdp = await context.newCDPSession(page);
    const exchange = async (from, to) => {
      for (let k = from; k < to; k += 50) {
        await page.evaluate(([a, b]) => { for (let i = a; i < b; i += 1) Confab.send(`leak check ${i}`); }, [k, Math.min(to, k + 50)]);
        await page.waitForFunction((n) => [...document.querySelector('confab-widget').shadowRoot.querySelectorAll('.message.in')].some((m) => m.textContent.includes(`You said: leak check ${n}`)), Math.min(to, k + 50) - 1, { timeout: 60_000 });
      }
    };
    const measure = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const stats = await page.evaluate(() => Confab.stats());
      return { heap: (await cdp.send('Runtime.getHeapUsage')).usedSize, wasm: stats.wasmBytes, wasmHeap: stats.wasmHeapBytes, dom: await page.evaluate(() => document.querySelector('confab-widget').shadowRoot.querySelectorAll('*').length) };
    };
    const afterReset = async () => {
      await page.evaluate(() => Confab.reset());
      await greeted();
      await page.waitForTimeout(500);
      return measure();
    };
    const { kept100, kept1000, at100, at1000 } = await leakPoints(exchange, measure, afterReset);
    results.leak = { kept100, kept1000, at100, at1000, heapGrowthBytes: at1000.heap - at100.heap, wasmHeapGrowthBytes: at1000.wasmHeap - at100.wasmHeap };
    process.stderr.write(`leak: kept ${kept100.wasmHeap} -> ${kept1000.wasmHeap} wasm heap bytes; after reset heap ${at100.heap} -> ${at1000.heap}, wasm heap ${at100.wasmHeap} -> ${at1000.wasmHeap}, DOM nodes ${at100.dom} -> ${at1000.dom}\n`);
    await context.close();
  }
  // A peer's leak check, into `results.widgets[id].leak`: its page `url` made ready by `open`,
  // then exchanges one at a time (`exchangeOne(page, k)` sends `leak check k` and waits for
  // `You said: leak check k`), `reset(page)` as its reset; the JS heap and the DOM nodes in
  // `host`'s shadow root.
  const peerLeak = async (id, url, host, open, exchangeOne, reset) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(BASE + url);
    await open(page);
    await page.waitForTimeout(300);
    const exchange = async (from, to) => {
      for (let k = from; k < to; k += 1) await exchangeOne(page, k);
    };
    const measure = async () => ({ heap: await heapAfterGc(context, page), dom: await page.evaluate((h) => document.querySelector(h).shadowRoot.querySelectorAll('*').length, host) });
    const afterReset = async () => {
      await reset(page);
      await page.waitForTimeout(500);
      return measure();
    };
    const points = await leakPoints(exchange, measure, afterReset);
    await context.close();
    const { kept100, kept1000, at100, at1000 } = points;
    process.stderr.write(`${results.widgets[id].name} leak: kept heap ${kept100.heap} -> ${kept1000.heap}; after its reset heap ${at100.heap} -> ${at1000.heap}, DOM nodes ${at100.dom} -> ${at1000.dom}\n`);
    results.widgets[id].leak = { ...points, heapGrowthBytes: at1000.heap - at100.heap };
  };
  // 7b: the same for deep-chat, answered by the devserver's echo in deep-chat's format, one
  // exchange at a time (it takes no new message while one is pending); `clearMessages()` is
  // its reset.
  await peerLeak('deep-chat', '/deep-chat-echo.html', 'deep-chat', deepChatIntro, async (page, k) => {
    await page.evaluate((i) => document.querySelector('deep-chat').submitUserMessage({ text: `leak check ${i}` }), k);
    await page.waitForFunction((i) => { const m = document.querySelector('deep-chat').getMessages(); const last = m[m.length - 1]; return !!last && last.text === `You said: leak check ${i}`; }, k, { timeout: 60_000 });
  }, (page) => page.evaluate(() => document.querySelector('deep-chat').clearMessages()));
  // 7c: the same for flowise-embed, answered by the devserver's chatflow `echo` in Flowise's
  // stream, one exchange at a time, typed into its input (it has no method to send with).
  // Its reset is the `flowise-clear-chat` event, the same clear as its header's clear
  // button: the welcome message back and its localStorage record removed.
  await peerLeak('flowise', '/flowise-echo.html', 'flowise-chatbot', flowiseOpen, async (page, k) => {
    await flowiseSend(page, `leak check ${k}`);
    await page.waitForFunction((i) => { const b = [...document.querySelector('flowise-chatbot').shadowRoot.querySelectorAll('.chatbot-host-bubble')]; const last = b[b.length - 1]; return !!last && last.textContent.trim() === `You said: leak check ${i}`; }, k, { timeout: 60_000 });
  }, async (page) => {
    await page.evaluate(() => document.dispatchEvent(new CustomEvent('flowise-clear-chat')));
    await page.waitForFunction(() => document.querySelector('flowise-chatbot').shadowRoot.querySelectorAll('.chatbot-host-bubble').length === 1, null, { timeout: 30_000 });
  });

  await browser.close();
  fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(path.join(__dirname, 'results.md'), markdown(results));
  process.stdout.write(markdown(results));
}

function markdown(r) {
  const kb = (b) => (b == null ? '–' : `${(b / 1024).toFixed(1)} KB`);
  const ms = (x) => (x == null ? '–' : `${Math.round(x)} ms`);
  const c = r.widgets.confab;
  const lines = [];
  lines.push(`Medians of ${r.runs} runs, ${r.date.slice(0, 10)}; ${r.machine}; Chromium ${r.chromium}, headless.`);
  lines.push('');
  lines.push('| widget | transfer (gzip) | loader / JS / wasm / CSS | launcher or input usable | added to the bare page | Confab ÷ this widget |');
  lines.push('|---|---:|---|---:|---:|---:|');
  for (const w of Object.values(r.widgets)) {
    if (!w.transfer && w.launcherMs == null) {
      lines.push(`| ${w.name} | – | – | first paint ${ms(w.firstPaintMs)} | – | – |`);
      continue;
    }
    const t = w.transfer || {};
    // Below zero is the bare page's own run-to-run spread: nothing measurable was added.
    const added = (x) => (x < 0 ? `≈ 0 (${Math.round(x)} ms)` : ms(x));
    const ratio = w === c ? '1' : `size ${(c.transfer.total / t.total).toFixed(2)}, time ${(Math.max(0, c.addedMs) / w.addedMs).toFixed(2)}`;
    lines.push(`| ${w.name} | ${kb(t.total)} | ${kb(t.loader)} / ${kb(t.js)} / ${kb(t.wasm)} / ${kb(t.css)} | ${ms(w.launcherMs)} | ${added(w.addedMs)} | ${ratio} |`);
  }
  lines.push('');
  lines.push('| measure | Confab | deep-chat | flowise-embed |');
  lines.push('|---|---:|---:|---:|');
  // Of the peers only flowise-embed has a launcher.
  const fw = r.widgets.flowise || {};
  lines.push(`| ready: click to composer focused with the greeting (bundle cached) | ${ms(r.readyMs)} | – | ${ms(fw.readyMs)} |`);
  const rs = r.readySplit;
  if (rs) {
    const group = (g) => (g.runs ? `${ms(g.ms)} (${g.runs} of ${r.runs} runs)` : `– (0 of ${r.runs} runs)`);
    lines.push(`| … the bundle loaded at idle before the click | ${group(rs.preloaded)} | – | – |`);
    lines.push(`| … the bundle loaded by the click itself | ${group(rs.loadedByClick)} | – | – |`);
  }
  // Confab, deep-chat, flowise-embed.
  const streams = [c.streaming || {}, (r.widgets['deep-chat'] || {}).streaming || {}, fw.streaming || {}];
  const runs = (x) => (x.runs && x.runs < r.runs ? ` (${x.runs} runs)` : '');
  lines.push(`| 10 000 tokens: send to final text on screen | ${streams.map((x) => `${ms(x.totalMs)}${runs(x)}`).join(' | ')} |`);
  lines.push(`| … that time over the time to the last byte | ${streams.map((x) => (x.ratioToLastByte == null ? '–' : x.ratioToLastByte.toFixed(2))).join(' | ')} |`);
  const floor = r.burstFloor;
  if (floor && floor.ratioToConfabLastByte != null && c.streaming && c.streaming.lastByteMs != null) {
    lines.push(`| … the browser alone, no widget: the same answer set at once on the bare page, to its layout; to the next frame | ${ms(floor.layoutMs)}; ${ms(floor.frameMs)} | – | – |`);
    lines.push(`| … the lowest ratio a widget could read here: (last byte ${ms(c.streaming.lastByteMs)} + that layout) ÷ last byte | ${floor.ratioToConfabLastByte.toFixed(2)} | – | – |`);
  }
  // The Long Tasks API reports only tasks over 50 ms.
  const task = (x) => (x == null ? '–' : x === 0 ? 'none over 50 ms' : ms(x));
  lines.push(`| … longest main-thread task meanwhile (Long Tasks API) | ${streams.map((x) => task(x.longestTaskMs)).join(' | ')} |`);
  const st = c.steadyStream;
  if (st) {
    lines.push(`| 10 000 tokens at a steady pace (10 every 2 ms): send to final text | ${ms(st.wallMs)} | – | – |`);
    if (st.ratioToLastByte != null) {
      lines.push(`| … that time over the time to the last byte; final text after the last byte | ${st.ratioToLastByte.toFixed(3)}; ${ms(st.afterLastByteMs)} | – | – |`);
    }
    lines.push(`| … main-thread time meanwhile, all of it; of which layout | ${ms(st.mainThreadMs)}; ${ms(st.layoutMs)} | – | – |`);
  }
  // Results written before the peers' history, idle and leak figures were taken have none.
  const peers = [r.widgets['deep-chat'] || {}, fw];
  const pair = (a, b, f) => (a == null || b == null ? '–' : `${f(a)} → ${f(b)}`);
  const cells = (f) => peers.map((w) => f(w)).join(' | ');
  const histMs = (h) => (h ? `${ms(h.renderedMs)}${h.runs < r.runs ? ` (${h.runs} runs)` : ''}` : '–');
  lines.push(`| 5 000 messages of history rendered, from navigation (Confab: replayed by PolyAI; deep-chat: its \`history\` property; flowise-embed: its saved conversation, opened at once) | ${ms(r.history.renderedMs)} | ${cells((w) => histMs(w.history))} |`);
  lines.push(`| … JS heap + wasm memory afterwards | ${kb(r.history.jsHeapBytes)} + ${kb(r.history.wasmBytes)} | ${cells((w) => (w.history ? `${kb(w.history.jsHeapBytes)} + none` : '–'))} |`);
  // Below zero is the bare page's own run-to-run spread: nothing measurable.
  const own = (x) => (x == null ? '–' : x < 0 ? `≈ 0 (${x.toFixed(2)} ms)` : `${x.toFixed(2)} ms`);
  lines.push(`| idle, panel open: main-thread time per minute (widget's own) | ${own(r.idle.confabOwnMsPerMinute)} | ${own(r.idle.deepChatOwnMsPerMinute)} | ${own(r.idle.flowiseOwnMsPerMinute)} |`);
  lines.push(`| leak check, conversation kept: JS heap after 100 → 1 000 exchanges | ${pair(r.leak.kept100.heap, r.leak.kept1000.heap, kb)} | ${cells((w) => (w.leak ? pair(w.leak.kept100.heap, w.leak.kept1000.heap, kb) : '–'))} |`);
  lines.push(`| … wasm heap in use | ${kb(r.leak.kept100.wasmHeap)} → ${kb(r.leak.kept1000.wasmHeap)} | – | – |`);
  lines.push(`| leak check after a reset (\`Confab.reset()\`; deep-chat's \`clearMessages()\`; flowise-embed's \`flowise-clear-chat\` event): JS heap after 100 → 1 000 exchanges | ${kb(r.leak.at100.heap)} → ${kb(r.leak.at1000.heap)} | ${cells((w) => (w.leak ? pair(w.leak.at100.heap, w.leak.at1000.heap, kb) : '–'))} |`);
  lines.push(`| … DOM nodes in the widget | ${r.leak.at100.dom} → ${r.leak.at1000.dom} | ${cells((w) => (w.leak ? `${w.leak.at100.dom} → ${w.leak.at1000.dom}` : '–'))} |`);
  lines.push(`| … wasm heap in use | ${kb(r.leak.at100.wasmHeap)} → ${kb(r.leak.at1000.wasmHeap)} | – | – |`);
  lines.push(`| … wasm memory (only grows) | ${kb(r.leak.at100.wasm)} → ${kb(r.leak.at1000.wasm)} | – | – |`);
  return lines.join('\n') + '\n';
}

if (process.argv[2] === '--table') {
  // Rewrites results.md from results.json (after a change to the table's wording).
  const results = JSON.parse(fs.readFileSync(path.join(__dirname, 'results.json'), 'utf8'));
  fs.writeFileSync(path.join(__dirname, 'results.md'), markdown(results));
  process.stdout.write(markdown(results));
} else {
  main().catch((e) => { console.error(e); process.exit(1); });
}
