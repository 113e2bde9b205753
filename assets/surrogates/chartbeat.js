// Polaris surrogate: Chartbeat. The page's calls are accepted and dropped.
// names: chartbeat.js chartbeat_mab.js static.chartbeat.com/js/chartbeat.js
(function () {
	'use strict';
	function noop() {}
	window.pSUPERFLY = { activity: noop, virtualPage: noop };
	window.pSUPERFLY_MAB = { beforeNewPage: noop };
})();
