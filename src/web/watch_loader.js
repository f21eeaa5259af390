// The watch page's loader (watch_loader.rs puts it inline and nonce'd, before the
// stylesheet): a classic script, so it runs while the parser reaches it, where even an
// async module measured ~100 ms later and Leptos's deferred loader waits for the document
// and its stylesheet. It opens the signaling socket, for the wasm to adopt
// (browser/rtc/signaling.rs), and starts the wasm, which hydrates the page once.
((js, wasm, socketGlobal, socketPath) => {
	try {
		const scheme = location.protocol === "https:" ? "wss:" : "ws:";
		window[socketGlobal] = new WebSocket(`${scheme}//${location.host}${socketPath}`);
	} catch (e) {
		console.warn("OnAir: the early signaling socket did not open; the player opens its own", e);
	}
	// The wasm downloads and compiles now, but hydrates only once the whole document is
	// parsed: hydrating a half-parsed page fails (Leptos's own loader waits for the same).
	const parsed = document.readyState === "loading"
		? new Promise((done) => document.addEventListener("DOMContentLoaded", done, { once: true }))
		: Promise.resolve();
	import(js).then((mod) => Promise.all([mod.default({ module_or_path: wasm }), parsed]).then(() => mod.hydrate()));
})
