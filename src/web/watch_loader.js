// The watch page's loader (watch_loader.rs puts it inline and nonce'd, before the
// stylesheet): a classic script, so it runs while the parser reaches it, where even an
// async module measured ~100 ms later and Leptos's deferred loader waits for the document
// and its stylesheet. It opens the signaling socket and joins as a viewer the moment it
// opens, keeping what the server answers meanwhile; the wasm adopts the socket and replays
// those messages (browser/rtc/signaling.rs), so signaling runs while the wasm loads. Then it
// starts the wasm, which hydrates the page once.
((js, wasm, socketGlobal, socketPath, join) => {
	try {
		const scheme = location.protocol === "https:" ? "wss:" : "ws:";
		const socket = new WebSocket(`${scheme}//${location.host}${socketPath}`);
		const early = { socket, sent: null, inbox: [] };
		socket.onopen = () => {
			socket.send(join);
			early.sent = join;
		};
		socket.onmessage = (e) => early.inbox.push(e.data);
		window[socketGlobal] = early;
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
