// Confab frame bridge: include it in a product page that a Confab widget drives from another
// origin, naming the host pages allowed to drive it:
//   <script type="module" src="https://cdn.example.com/confab/confab-frame.js"
//           data-parent-origins="https://www.example.com"></script>
// Messages are accepted only from the parent window and only from the listed origins (exact
// match); answers go back to that origin only. Nothing else on the page changes.
import { runIn, clearHighlight, watchVisitor } from './page-actions.js';

const tag = document.querySelector('script[src*="confab-frame.js"][data-parent-origins]');
const allowed = new Set(((tag && tag.getAttribute('data-parent-origins')) || '').split(/\s+/).filter(Boolean));

if (allowed.size === 0) {
  console.warn('[confab-frame] no data-parent-origins: no page may drive this frame');
}

function tell(origin, message) {
  window.parent.postMessage({ confab: 1, ...message }, origin);
}

let parentOrigin = null;
// Aborted by `clear` (Stop, or a newer sequence in the parent): a running `wait` ends.
let interrupt = new AbortController();

window.addEventListener('message', async (e) => {
  if (e.source !== window.parent || !allowed.has(e.origin)) return;
  const m = e.data;
  if (!m || m.confab !== 1) return;
  parentOrigin = e.origin;
  if (m.type === 'clear') {
    clearHighlight();
    interrupt.abort();
    interrupt = new AbortController();
    return;
  }
  if (m.type === 'hello') {
    tell(e.origin, { type: 'visitor', event: 'navigate', selector: '', url: location.href });
    return;
  }
  if (m.type !== 'run') return;
  const a = m.action || {};
  try {
    if (a.action === 'navigate') {
      // The widget checked the resolved URL against its allowed origins; check the scheme again here.
      const url = new URL(a.url, location.href);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('only http(s) URLs can be opened');
      tell(e.origin, { type: 'result', id: m.id, ok: true });
      location.assign(url.href);
      return;
    }
    await runIn(document, a, interrupt.signal);
    tell(e.origin, { type: 'result', id: m.id, ok: true });
  } catch (err) {
    tell(e.origin, { type: 'result', id: m.id, ok: false, error: String((err && err.message) || err) });
  }
});

// The visitor's own clicks and this page's navigations, reported to the parent that drives us.
watchVisitor(
  document,
  (selector, url) => { if (parentOrigin) tell(parentOrigin, { type: 'visitor', event: 'click', selector, url }); },
  () => { if (parentOrigin) tell(parentOrigin, { type: 'visitor', event: 'key', selector: '', url: location.href }); },
);
