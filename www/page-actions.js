// Confab page actions: the DOM side of an agent driving a page (Iraa `iframeCommands`).
// One implementation, used two ways: the widget imports it (host page or same-origin frame),
// and `confab-frame.js` imports it inside a cross-origin product page. Safety rules that need
// no DOM (URL schemes, allowed origins) are checked in Rust before anything runs here.

const HIGHLIGHT_MS = 4000;
const DEFAULT_WAIT_MS = 10000;

let ring = null;

export function clearHighlight() {
  if (ring) {
    ring.stop();
    ring = null;
  }
}

function find(doc, selector) {
  if (typeof selector !== 'string' || selector.length === 0 || selector.length > 500) {
    throw new Error('a selector is required');
  }
  let el;
  try {
    el = doc.querySelector(selector);
  } catch (_) {
    throw new Error(`"${selector}" is not a valid CSS selector`);
  }
  if (!el) throw new Error(`nothing matches "${selector}"`);
  return el;
}

// Never type into secrets: passwords and payment fields.
function refusesTyping(el) {
  const type = (el.getAttribute('type') || '').toLowerCase();
  const auto = (el.getAttribute('autocomplete') || '').toLowerCase();
  if (type === 'password') return 'typing into a password field is not allowed';
  if (auto.split(/\s+/).some((t) => t.startsWith('cc-'))) return 'typing into a payment field is not allowed';
  return null;
}

// Sets a value the way a person typing does, so React/Vue/Svelte see it: the native setter,
// then `input` and `change` events.
function setValue(el, value) {
  const proto = Object.getPrototypeOf(el);
  const desc = Object.getOwnPropertyDescriptor(proto, 'value');
  if (desc && desc.set) desc.set.call(el, value);
  else el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
}

function highlight(doc, el) {
  clearHighlight();
  const win = doc.defaultView;
  const box = doc.createElement('div');
  box.setAttribute('data-confab-highlight', '');
  box.setAttribute('aria-hidden', 'true');
  const s = box.style; // CSSOM, allowed under a strict style-src
  s.setProperty('position', 'fixed');
  s.setProperty('pointer-events', 'none');
  s.setProperty('z-index', '2147483646');
  s.setProperty('border', '3px solid #f59e0b');
  s.setProperty('border-radius', '8px');
  s.setProperty('box-shadow', '0 0 0 4px rgba(245, 158, 11, 0.35)');
  doc.documentElement.appendChild(box);
  let frame = 0;
  const follow = () => {
    const r = el.getBoundingClientRect();
    s.setProperty('left', `${r.left - 6}px`);
    s.setProperty('top', `${r.top - 6}px`);
    s.setProperty('width', `${r.width + 12}px`);
    s.setProperty('height', `${r.height + 12}px`);
    frame = win.requestAnimationFrame(follow);
  };
  follow();
  const timer = win.setTimeout(() => clearHighlight(), HIGHLIGHT_MS);
  ring = {
    stop() {
      win.cancelAnimationFrame(frame);
      win.clearTimeout(timer);
      box.remove();
    },
  };
}

// `signal` (an AbortSignal, optional) ends the wait early: Stop, or a newer sequence.
function wait(doc, selector, timeout, signal) {
  const limit = Math.min(Math.max(Number(timeout) || DEFAULT_WAIT_MS, 0), 60000);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (signal && signal.aborted) {
        reject(new Error('interrupted'));
        return;
      }
      let el = null;
      try {
        el = doc.querySelector(selector);
      } catch (_) {
        reject(new Error(`"${selector}" is not a valid CSS selector`));
        return;
      }
      if (el) resolve();
      else if (Date.now() - started >= limit) reject(new Error(`"${selector}" did not appear within ${limit} ms`));
      else doc.defaultView.setTimeout(tick, 100);
    };
    tick();
  });
}

// Runs one action in `doc`. Resolves with nothing, or rejects with an Error whose message
// says why (shown to the page in the `action` event). `signal` interrupts a `wait`.
export async function runIn(doc, action, signal) {
  const a = action || {};
  switch (a.action) {
    case 'navigate':
      clearHighlight();
      doc.defaultView.location.assign(a.url); // checked by the caller
      return;
    case 'click': {
      const el = find(doc, a.selector);
      clearHighlight();
      el.click();
      return;
    }
    case 'type': {
      const el = find(doc, a.selector);
      const why = refusesTyping(el);
      if (why) throw new Error(why);
      if (!('value' in el)) throw new Error(`"${a.selector}" is not a field`);
      clearHighlight();
      if (typeof el.focus === 'function') el.focus();
      setValue(el, String(a.text == null ? '' : a.text));
      return;
    }
    case 'highlight':
      highlight(doc, find(doc, a.selector));
      return;
    case 'scroll':
      find(doc, a.selector).scrollIntoView({ behavior: 'smooth', block: 'center' });
      return;
    case 'wait':
      await wait(doc, a.selector, a.timeout, signal);
      return;
    case 'select': {
      const el = find(doc, a.selector);
      if (el.tagName !== 'SELECT') throw new Error(`"${a.selector}" is not a <select>`);
      const value = String(a.value == null ? '' : a.value);
      const option = Array.from(el.options).find((o) => o.value === value || o.text === value);
      if (!option) throw new Error(`"${a.selector}" has no option "${value}"`);
      clearHighlight();
      setValue(el, option.value);
      return;
    }
    default:
      throw new Error(`unknown action "${a.action}"`);
  }
}

// A short, stable selector for what the visitor clicked: id, data-testid, or tag + classes.
export function describe(el) {
  if (!el || el.nodeType !== 1) return '';
  if (el.id) return `#${CSS.escape(el.id)}`;
  const testid = el.getAttribute('data-testid');
  if (testid) return `[data-testid="${testid.replace(/"/g, '\\"')}"]`;
  const tag = el.tagName.toLowerCase();
  const cls = Array.from(el.classList).slice(0, 2).map((c) => `.${CSS.escape(c)}`).join('');
  return tag + cls;
}

// Watches the visitor's own (trusted) clicks and key presses in `doc`; the agent's synthetic
// clicks are not trusted events and are ignored. Returns a function that stops watching.
// On the host page, the chat itself is not the page: clicks and keys in the widget (its
// composer, its Stop button) are neither reported nor taken as interruptions.
export function watchVisitor(doc, onClick, onKey) {
  const page = (e) => e.isTrusted && !(e.target && e.target.closest && e.target.closest('confab-widget'));
  const click = (e) => { if (page(e)) onClick(describe(e.target), doc.defaultView.location.href); };
  const key = (e) => { if (page(e)) onKey(); };
  doc.addEventListener('click', click, true);
  doc.addEventListener('keydown', key, true);
  return () => {
    doc.removeEventListener('click', click, true);
    doc.removeEventListener('keydown', key, true);
  };
}

// ---- targets: the page itself, or an <iframe> (same-origin: direct; cross-origin: bridge) ----

let nextId = 0;

// `spec`: "host" or a CSS selector of an <iframe> on this page. `onVisitor(event, selector,
// url)` hears the visitor's own clicks and navigations; `onInterrupt()` their clicks and key
// presses while actions run. Returns {run(action), resolve(url), setRunning(bool), stop()}.
export function createTarget(spec, onVisitor, onInterrupt) {
  let running = false;
  // Stop, and a newer sequence, reject the action in progress at once (a long `wait` included,
  // whose polling ends too); the widget says which of the two it was.
  let cancelWaiters = [];
  let interrupt = new AbortController();
  const cancellable = (work) => Promise.race([
    work,
    new Promise((_, reject) => cancelWaiters.push(() => reject(new Error('interrupted')))),
  ]);
  const setRunningBase = (on) => { running = on; };
  // The action in progress is rejected at once and the highlight removed.
  const cancelBase = () => {
    running = false;
    const waiters = cancelWaiters;
    cancelWaiters = [];
    waiters.forEach((w) => w());
    interrupt.abort();
    interrupt = new AbortController();
    clearHighlight();
  };
  // The visitor's own click or key press while actions run stops them, the one in progress
  // included (a frame target's `cancel` also tells the bridge).
  let cancel = cancelBase;
  const interrupted = () => { cancel(); onInterrupt(); };
  let unwatch = () => {};
  const watch = (doc) => {
    unwatch();
    unwatch = watchVisitor(
      doc,
      (selector, url) => { if (running) interrupted(); else onVisitor('click', selector, url); },
      () => { if (running) interrupted(); },
    );
  };

  if (spec === 'host') {
    watch(document);
    return {
      run: (action) => cancellable(runIn(document, action, interrupt.signal)),
      resolve: (url) => Promise.resolve({ href: new URL(url, location.href).href, origin: location.origin }),
      setRunning: setRunningBase,
      cancel: cancelBase,
      stop: () => { unwatch(); clearHighlight(); },
    };
  }

  const frame = () => {
    let el = null;
    try { el = document.querySelector(spec); } catch (_) { /* reported below */ }
    if (!el || el.tagName !== 'IFRAME') throw new Error(`no <iframe> matches "${spec}"`);
    return el;
  };
  const sameOriginDoc = (el) => {
    try { return el.contentDocument && el.contentDocument.defaultView ? el.contentDocument : null; } catch (_) { return null; }
  };
  const frameOrigin = (el) => new URL(el.getAttribute('src') || 'about:blank', location.href).origin;

  const pending = new Map();
  const onMessage = (e) => {
    let el;
    try { el = frame(); } catch (_) { return; }
    // Exact checks both ways: only our frame's window, only from its origin.
    if (e.source !== el.contentWindow || e.origin !== frameOrigin(el)) return;
    const m = e.data;
    if (!m || m.confab !== 1) return;
    if (m.type === 'result' && pending.has(m.id)) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) p.resolve(m); else p.reject(new Error(m.error || 'the frame refused the action'));
    } else if (m.type === 'visitor' && typeof m.selector === 'string' && typeof m.url === 'string') {
      if (m.event === 'key') { if (running) interrupted(); return; }
      if (running) { if (m.event === 'click') interrupted(); return; }
      onVisitor(m.event === 'navigate' ? 'navigate' : 'click', m.selector.slice(0, 200), m.url.slice(0, 2000));
    }
  };
  window.addEventListener('message', onMessage);

  const ask = (el, message, timeout) => new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, { resolve, reject });
    el.contentWindow.postMessage({ confab: 1, id, ...message }, frameOrigin(el));
    setTimeout(() => {
      if (pending.has(id)) {
        pending.delete(id);
        reject(new Error('the frame did not answer (is confab-frame.js on the product page?)'));
      }
    }, timeout);
  });

  // Waiters for the frame's next load (an agent's navigate reloads it).
  let loadWaiters = [];
  const onLoad = () => {
    const waiters = loadWaiters;
    loadWaiters = [];
    waiters.forEach((w) => w());
    try {
      const el = frame();
      const doc = sameOriginDoc(el);
      if (doc) {
        watch(doc);
        if (!running) onVisitor('navigate', '', doc.defaultView.location.href);
      } else {
        // Cross-origin: greet the bridge, which answers with its own location.
        el.contentWindow.postMessage({ confab: 1, type: 'hello' }, frameOrigin(el));
      }
    } catch (_) { /* not there yet */ }
  };
  try { frame().addEventListener('load', onLoad); onLoad(); } catch (_) { /* reported on run */ }
  const nextLoad = (ms) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the page did not finish loading')), ms);
    loadWaiters.push(() => { clearTimeout(timer); resolve(); });
  });
  cancel = () => {
    cancelBase();
    try {
      const el = frame();
      if (!sameOriginDoc(el)) el.contentWindow.postMessage({ confab: 1, type: 'clear' }, frameOrigin(el));
    } catch (_) { /* gone */ }
  };
  // The agent's last navigation, loaded or not: an action after it belongs to the new page,
  // even when a newer sequence interrupted the navigate that was waiting for it.
  let navigated = Promise.resolve();

  return {
    run: (action) => cancellable((async () => {
      const signal = interrupt.signal;
      await navigated;
      if (signal.aborted) throw new Error('interrupted');
      const el = frame();
      const doc = sameOriginDoc(el);
      if (action && action.action === 'navigate') {
        const loaded = nextLoad(15000);
        navigated = loaded.catch(() => {});
        if (doc) runIn(doc, action);
        else await ask(el, { type: 'run', action }, 5000);
        await loaded;
        return;
      }
      if (doc) return runIn(doc, action, signal);
      const waitMs = action && action.action === 'wait' ? Math.min(Number(action.timeout) || DEFAULT_WAIT_MS, 60000) : 0;
      await ask(el, { type: 'run', action }, waitMs + 5000);
    })()),
    resolve: async (url) => {
      const el = frame();
      const doc = sameOriginDoc(el);
      const base = doc ? doc.defaultView.location.href : (el.getAttribute('src') || location.href);
      const href = new URL(url, new URL(base, location.href)).href;
      return { href, origin: doc ? doc.defaultView.location.origin : frameOrigin(el) };
    },
    setRunning: setRunningBase,
    cancel: () => cancel(),
    stop: () => {
      unwatch();
      clearHighlight();
      window.removeEventListener('message', onMessage);
      for (const p of pending.values()) p.reject(new Error('stopped'));
      pending.clear();
    },
  };
}
