// Polaris surrogate: Google Analytics (analytics.js). The ga() queue works,
// hitCallback and ready callbacks run, nothing is sent.
// names: google-analytics_analytics.js analytics.js google-analytics.com/analytics.js
(function () {
	'use strict';
	var w = window;
	var name = w.GoogleAnalyticsObject || 'ga';
	var queue = (w[name] && w[name].q) || [];
	function later(fn) { if (typeof fn === 'function') { try { setTimeout(fn, 0); } catch (e) {} } }
	var tracker = {
		get: function () { return undefined; },
		set: function () {},
		send: function () {
			var last = arguments[arguments.length - 1];
			if (last && typeof last === 'object') { later(last.hitCallback); }
		}
	};
	function ga() {
		var a = arguments;
		if (typeof a[0] === 'function') { later(function () { a[0](tracker); }); return; }
		var last = a[a.length - 1];
		if (last && typeof last === 'object') { later(last.hitCallback); }
	}
	ga.create = function () { return tracker; };
	ga.getByName = function () { return tracker; };
	ga.getAll = function () { return [tracker]; };
	ga.remove = function () {};
	ga.loaded = true;
	ga.l = Date.now();
	w[name] = ga;
	for (var i = 0; i < queue.length; i++) { ga.apply(null, queue[i]); }
})();
