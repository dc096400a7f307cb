// Runs after embed.js (both deferred, in order) but before the bundle is ready: these calls
// are queued and must run in order once it is.
window.seen = [];
Confab.on('message', function (m) { window.seen.push(m.direction + ':' + m.text); });
Confab.on('ready', function () { window.readyAt = Date.now(); });
Confab.open();
Confab.send('queued before ready');
