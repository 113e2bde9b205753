// Polaris surrogate: fingerprintjs2. Callers get a fingerprint made of
// nothing: the same constant for everyone.
// names: fingerprint2.js fingerprintjs2.js
(function () {
	'use strict';
	var hash = '00000000000000000000000000000000';
	function later(fn, a, b) { if (typeof fn === 'function') { try { setTimeout(function () { fn(a, b); }, 0); } catch (e) {} } }
	function Fingerprint2() {}
	Fingerprint2.prototype.get = function (cb) { later(cb, hash, []); };
	Fingerprint2.get = function (opts, cb) { later(typeof opts === 'function' ? opts : cb, []); };
	Fingerprint2.getPromise = function () { return Promise.resolve([]); };
	Fingerprint2.getV18 = function (opts, cb) { later(typeof opts === 'function' ? opts : cb, hash, []); };
	Fingerprint2.x64hash128 = function () { return hash; };
	Fingerprint2.VERSION = '2.1.0';
	window.Fingerprint2 = Fingerprint2;
})();
