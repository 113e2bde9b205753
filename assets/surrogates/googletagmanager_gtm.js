// Polaris surrogate: Google Tag Manager and gtag.js. Pages wait for the
// tag manager to call their callbacks; this calls them and records nothing.
// names: googletagmanager_gtm.js gtm.js googletagmanager.com/gtm.js gtag.js
(function () {
	'use strict';
	var w = window;
	function later(fn) { if (typeof fn === 'function') { try { setTimeout(fn, 0); } catch (e) {} } }
	function callbacks(o) {
		if (!o || typeof o !== 'object') { return; }
		later(o.eventCallback);
		if (o.event_callback) { later(o.event_callback); }
	}
	var dl = w.dataLayer;
	if (!Array.isArray(dl)) { dl = w.dataLayer = []; }
	for (var i = 0; i < dl.length; i++) { callbacks(dl[i]); }
	dl.push = function () {
		for (var j = 0; j < arguments.length; j++) {
			var a = arguments[j];
			callbacks(a);
			if (a && a.length !== undefined && a[0] === 'event' && a[2]) { callbacks(a[2]); }
		}
		return Array.prototype.push.apply(this, arguments);
	};
	if (typeof w.gtag !== 'function') {
		w.gtag = function () { dl.push(arguments); };
	}
	w.google_tag_manager = w.google_tag_manager || {};
	w.google_tag_data = w.google_tag_data || {};
})();
