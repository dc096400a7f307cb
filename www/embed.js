/* Confab loader: the only file a page references (EMBED.md).
   Reads its own script tag's data-* attributes, loads the bundle relative to its own URL,
   and defines window.Confab (and no other global). Calls made before the bundle is ready
   are queued and run in order once it is. */
(function () {
  'use strict';
  if (window.Confab && window.Confab.version) return; // loaded twice: keep the first

  var script = document.currentScript;
  var base = new URL('.', (script && script.src) || location.href);
  var attributes = [];
  if (script) {
    for (var i = 0; i < script.attributes.length; i++) {
      var a = script.attributes[i];
      if (a.name.indexOf('data-') === 0) attributes.push([a.name, a.value]);
    }
  }

  var widget = null;
  var failed = false;
  var ready = false;
  var queue = [];
  var listeners = {};

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
    } else if (!failed) {
      queue.push([method, args]);
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
    stats: function () {
      var s = widget ? call('stats', []) : null;
      return s || { ignoredFrames: 0, liveHandles: 0, state: api.state };
    },
    destroy: function () { if (widget) call('destroy', []); else queue.push(['destroy', []]); },
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

  function start() {
    import(new URL('confab.js', base).href)
      .then(function (bundle) {
        return bundle.default({ module_or_path: new URL('confab_bg.wasm', base) }).then(function () {
          widget = bundle.boot(attributes, emit);
          var pending = queue;
          queue = [];
          for (var q = 0; q < pending.length; q++) call(pending[q][0], pending[q][1]);
        });
      })
      .catch(function (e) {
        failed = true;
        queue = [];
        console.error('[confab] the widget could not load from ' + base.href, e);
        emit('error', { code: 'load_failed', message: String(e && e.message || e) });
      });
  }

  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();
