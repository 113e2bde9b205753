// Polaris surrogate: the old Google Analytics (ga.js, _gaq).
// names: google-analytics_ga.js ga.js google-analytics.com/ga.js
(function () {
	'use strict';
	var w = window;
	function noop() {}
	function later(fn) { if (typeof fn === 'function') { try { setTimeout(fn, 0); } catch (e) {} } }
	var tracker = new Proxy({}, { get: function (t, k) { return k === '_getName' ? function () { return ''; } : noop; } });
	w._gat = { _getTracker: function () { return tracker; }, _createTracker: function () { return tracker; }, _getTrackerByName: function () { return tracker; }, _anonymizeIp: noop };
	var old = Array.isArray(w._gaq) ? w._gaq : [];
	w._gaq = {
		push: function () {
			for (var i = 0; i < arguments.length; i++) {
				if (typeof arguments[i] === 'function') { later(arguments[i]); }
			}
			return 0;
		}
	};
	for (var i = 0; i < old.length; i++) { w._gaq.push(old[i]); }
})();
