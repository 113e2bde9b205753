// Polaris surrogate: the Facebook pixel (fbq). Calls are accepted and
// dropped.
// names: facebook_fbevents.js fbevents.js connect.facebook.net/en_US/fbevents.js
(function () {
	'use strict';
	var w = window;
	if (w.fbq && w.fbq.loaded) { return; }
	var queue = (w.fbq && w.fbq.queue) || [];
	function fbq() {}
	fbq.callMethod = function () {};
	fbq.queue = [];
	fbq.push = fbq;
	fbq.loaded = true;
	fbq.version = '2.0';
	fbq.instance = { pixelsByID: {} };
	w.fbq = fbq;
	if (!w._fbq) { w._fbq = fbq; }
	queue.length = 0;
})();
