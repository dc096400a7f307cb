/* Confab loader: the only file a page references (EMBED.md).
   Reads its own script tag's data-* attributes, draws the launcher at once, and loads the
   bundle (relative to its own URL) when the browser is idle or on the first interaction,
   whichever comes first; at once for data-preload="eager", a returning visitor, or
   data-auto-open. Defines window.Confab (and no other global). Calls made before the bundle
   is ready are queued and run in order once it is. */
(function () {
  'use strict';
  if (window.Confab && window.Confab.version) return; // loaded twice: keep the first

  var script = document.currentScript;
  var base = new URL('.', (script && script.src) || location.href);
  var attributes = [];
  var attr = {};
  if (script) {
    for (var i = 0; i < script.attributes.length; i++) {
      var a = script.attributes[i];
      if (a.name.indexOf('data-') === 0) { attributes.push([a.name, a.value]); attr[a.name] = a.value; }
    }
  }

  // Attribute values are case-insensitive, as the widget reads them.
  function is(name, value) { return String(attr[name] || '').trim().toLowerCase() === value; }

  var widget = null;
  var failed = false;
  var ready = false;
  var destroyed = false;
  var loading = false;
  var queue = [];
  var listeners = {};
  var host = null;
  var idle = null;

  function emit(name, detail) {
    if (name === 'ready') ready = true;
    var list = (listeners[name] || []).slice();
    for (var j = 0; j < list.length; j++) {
      try { list[j](detail); } catch (e) { console.error('[confab] a "' + name + '" listener threw', e); }
    }
  }

  function call(method, args) {
    if (widget) {
      try { return widget[method].apply(widget, args); } catch (e) { console.error('[confab] Confab.' + method + '() failed', e); }
    } else if (!failed && !destroyed) {
      queue.push([method, args]);
      load();
    }
  }

  var api = {
    version: '0.1.0',
    open: function () { call('open', []); },
    close: function () { call('close', []); },
    toggle: function () { call('toggle', []); },
    send: function (text) { call('send', [String(text == null ? '' : text)]); },
    identify: function (fields) { call('identify', [fields]); },
    reset: function () { call('reset', []); },
    destroy: function () {
      if (widget) return call('destroy', []);
      // Before the bundle: nothing to stop but the launcher and the pending load.
      destroyed = true;
      queue = [];
      stopIdle();
      if (host && host.parentNode) host.parentNode.removeChild(host);
    },
    stats: function () {
      var s = widget ? call('stats', []) : null;
      return s || { ignoredFrames: 0, liveHandles: 0, state: api.state };
    },
    on: function (name, fn) {
      if (typeof fn !== 'function') throw new TypeError('Confab.on(name, fn): fn must be a function');
      (listeners[name] = listeners[name] || []).push(fn);
      // A late 'ready' subscriber still hears about it, once.
      if (name === 'ready' && ready) setTimeout(function () { if ((listeners.ready || []).indexOf(fn) >= 0) fn({}); }, 0);
      return function off() {
        var list = listeners[name] || [];
        var k = list.indexOf(fn);
        if (k >= 0) list.splice(k, 1);
      };
    }
  };
  Object.defineProperty(api, 'state', {
    enumerable: true,
    get: function () {
      if (widget) { try { return widget.state; } catch (e) { return 'failed'; } }
      return failed ? 'failed' : 'idle';
    }
  });
  Object.defineProperty(window, 'Confab', { value: api, configurable: true, writable: false });

  function stopIdle() {
    if (idle === null) return;
    if (window.cancelIdleCallback && idle.idle) window.cancelIdleCallback(idle.id); else clearTimeout(idle.id);
    idle = null;
  }

  // A module script and a wasm fetch from another origin need CORS headers; a classic script
  // does not. When confab.js cannot be imported (a plain static server, say), the same bundle
  // comes as one classic script, which hands its exports and the wasm's bytes to its element.
  function classic(why) {
    var src = new URL('confab-classic.js', base).href;
    console.info('[confab] could not import ' + base.href + 'confab.js (does its server send Access-Control-Allow-Origin?); loading ' + src);
    return new Promise(function (resolve, reject) {
      var el = document.createElement('script');
      var done = false;
      el.src = src;
      el.confabBundle = function (bundle, wasm) { done = true; resolve([bundle, wasm]); };
      el.onload = el.onerror = function () {
        el.remove();
        if (!done) reject(why);
      };
      (document.head || document.documentElement).appendChild(el);
    });
  }

  function load() {
    if (loading || destroyed) return;
    loading = true;
    stopIdle();
    import(new URL('confab.js', base).href)
      .then(function (bundle) { return [bundle, new URL('confab_bg.wasm', base)]; }, classic)
      .then(function (got) {
        var bundle = got[0];
        return bundle.default({ module_or_path: got[1] }).then(function () {
          if (destroyed) return;
          var focused = host && host.shadowRoot && host.shadowRoot.activeElement;
          widget = host ? bundle.bootInto(attributes, emit, host) : bundle.boot(attributes, emit);
          var pending = queue;
          queue = [];
          for (var q = 0; q < pending.length; q++) call(pending[q][0], pending[q][1]);
          // Keyboard users keep their place: focus moves to the real launcher.
          if (focused && host.shadowRoot && host.shadowRoot.activeElement === null && !pending.length) {
            var real = host.shadowRoot.querySelector('.launcher');
            if (real) real.focus();
          }
        });
      })
      .catch(function (e) {
        failed = true;
        queue = [];
        console.error('[confab] the widget could not load from ' + base.href, e);
        emit('error', { code: 'load_failed', message: String(e && e.message || e) });
      });
  }

  var LABELS = { en: 'Open chat', es: 'Abrir el chat', fr: 'Ouvrir le chat', de: 'Chat öffnen', ar: 'فتح المحادثة', he: "פתיחת הצ'אט", iw: "פתיחת הצ'אט" };
  var STYLE = ':host{all:initial!important;display:block!important;position:fixed!important;inset:auto 0 0 auto!important;' +
    'width:0!important;height:0!important;z-index:var(--confab-z-index,2147483000)!important}' +
    '.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border:0;border-radius:50%;padding:0;cursor:pointer;' +
    'display:grid;place-items:center;background:var(--confab-accent,#4f46e5);color:var(--confab-accent-text,#fff);' +
    'box-shadow:0 6px 20px rgba(0,0,0,.22)}.left .launcher{right:auto;left:20px}' +
    '.launcher:focus-visible{outline:3px solid var(--confab-accent,#4f46e5);outline-offset:2px}' +
    '.icon{width:26px;height:26px;fill:currentColor}';

  // The launcher, drawn by the loader in the widget's own host and shadow root; the bundle
  // takes both over when it starts.
  function drawLauncher() {
    host = document.createElement('confab-widget');
    var root = host.attachShadow({ mode: 'open' });
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      root.adoptedStyleSheets = [sheet];
    } catch (e) { /* no constructable stylesheets: the bundle reports it */ }
    var accent = attr['data-accent'];
    if (accent && window.CSS && window.CSS.supports && window.CSS.supports('color', accent)) host.style.setProperty('--confab-accent', accent);
    var wrap = document.createElement('div');
    if (is('data-position', 'bottom-left')) wrap.className = 'left';
    if (!is('data-show-launcher', 'false')) {
      var lang = String(attr['data-lang'] || navigator.language || 'en').split(/[-_]/)[0].toLowerCase();
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'launcher';
      button.setAttribute('aria-label', LABELS[lang] || LABELS.en);
      button.setAttribute('aria-expanded', 'false');
      var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.setAttribute('viewBox', '0 0 24 24');
      svg.setAttribute('aria-hidden', 'true');
      svg.setAttribute('class', 'icon');
      var path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
      path.setAttribute('d', 'M4 4h16v12H7l-3 3z');
      svg.appendChild(path);
      button.appendChild(svg);
      button.addEventListener('click', function () { call('toggle', []); });
      button.addEventListener('pointerdown', function (e) { if (e.button === 0) pressed(button, 'pointerup'); });
      button.addEventListener('keydown', function (e) { if (e.key === ' ') pressed(button, 'keyup'); });
      // Any sign of interest starts the download, so the bundle is often there by the click.
      button.addEventListener('pointerenter', load);
      button.addEventListener('focus', load);
      button.addEventListener('touchstart', load, { passive: true });
      wrap.appendChild(button);
    }
    root.appendChild(wrap);
    document.body.appendChild(host);
  }

  // The bundle can take the launcher over between a press and its release. The browser makes
  // no click of a press and release on two different elements, so the release does: over the
  // widget's own launcher, it is the click the visitor made.
  var armed = false;
  function pressed(button, up) {
    load();
    if (armed) return;
    armed = true;
    function end(e) {
      if (e.type === 'keyup' && e.key !== ' ') return;
      armed = false;
      window.removeEventListener(up, end, true);
      window.removeEventListener('pointercancel', end, true);
      if (e.type === up && !button.isConnected && e.composedPath().indexOf(host) >= 0) call('toggle', []);
    }
    window.addEventListener(up, end, true);
    window.addEventListener('pointercancel', end, true);
  }

  // A visitor with a stored conversation gets the bundle at once (to reconnect, resume and
  // count unread messages).
  function returning() {
    var prefix = 'confab:' + String(attr['data-provider'] || '').toLowerCase() + ':';
    var stores = ['localStorage', 'sessionStorage'];
    for (var s = 0; s < stores.length; s++) {
      try {
        var store = window[stores[s]];
        for (var k = 0; k < store.length; k++) {
          if (String(store.key(k)).indexOf(prefix) === 0) return true;
        }
      } catch (e) { /* storage blocked: a new visitor, as far as we can tell */ }
    }
    return false;
  }

  function start() {
    if (destroyed) return;
    drawLauncher();
    if (is('data-preload', 'eager') || is('data-auto-open', 'true') || returning()) return load();
    if (window.requestIdleCallback) idle = { idle: true, id: window.requestIdleCallback(load, { timeout: 3000 }) };
    else idle = { idle: false, id: setTimeout(load, 1500) };
  }

  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();
