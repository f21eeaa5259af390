// The watch page's loader (watch_loader.rs puts it inline, nonce'd, as an async module):
// it runs as soon as the HTML arrives, while Leptos's own loader is deferred behind the
// document and its stylesheet. It opens the signaling socket, for the wasm to adopt
// (browser/rtc/signaling.rs), and starts the wasm, which hydrates the page once.
((js, wasm, socketGlobal, socketPath) => {
	try {
		const scheme = location.protocol === "https:" ? "wss:" : "ws:";
		window[socketGlobal] = new WebSocket(`${scheme}//${location.host}${socketPath}`);
	} catch (e) {
		console.warn("OnAir: the early signaling socket did not open; the player opens its own", e);
	}
	import(js).then((mod) => mod.default({ module_or_path: wasm }).then(() => mod.hydrate()));
})
