// Polaris surrogate: the Facebook JavaScript SDK. FB.init works, status
// queries answer "unknown", fbAsyncInit runs; no widget is drawn.
// names: facebook_sdk.js fb-sdk.js sdk.js connect.facebook.net/en_US/sdk.js
(function () {
	'use strict';
	var w = window;
	if (w.FB && w.FB.__polaris) { return; }
	function noop() {}
	function later(fn, arg) { if (typeof fn === 'function') { try { setTimeout(function () { fn(arg); }, 0); } catch (e) {} } }
	var status = { status: 'unknown', authResponse: null };
	w.FB = {
		__polaris: true,
		init: noop,
		api: function () { var cb = arguments[arguments.length - 1]; later(cb, { error: { message: 'blocked' } }); },
		ui: function (p, cb) { later(cb, undefined); },
		login: function (cb) { later(cb, status); },
		logout: function (cb) { later(cb, status); },
		getLoginStatus: function (cb) { later(cb, status); },
		getAuthResponse: function () { return null; },
		AppEvents: { logEvent: noop, logPageView: noop, activateApp: noop, EventNames: {}, ParameterNames: {} },
		Event: { subscribe: noop, unsubscribe: noop },
		XFBML: { parse: function (el, cb) { later(cb); } }
	};
	if (typeof w.fbAsyncInit === 'function') { later(w.fbAsyncInit); }
})();
