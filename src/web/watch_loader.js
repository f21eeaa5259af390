// The watch page's loader (watch_loader.rs puts it inline and nonce'd, before the
// stylesheet): a classic script, so it runs while the parser reaches it, where even an
// async module measured ~100 ms later and Leptos's deferred loader waits for the document
// and its stylesheet. It opens the signaling socket already joined as a viewer (the join is
// in its URL), keeping what the server answers meanwhile; the wasm adopts the socket and replays
// those messages (browser/rtc/signaling.rs), so signaling runs while the wasm loads. Then it
// starts the wasm: playback first, then the page hydrates, once. With a starter (`[js, wasm]`, a
// release build's small second wasm: browser/starter.rs) the starter answers the first offer,
// and the player's wasm is fetched only once the starter's video plays: it takes it over.
((js, wasm, starter, socketGlobal, socketPath, join, firstRenderWaitMs, renderHoldMs, playerPatienceMs) => {
	// The page's text is first laid out and painted once playback has connected, or after
	// `firstRenderWaitMs` at the latest: on a cold page that first render (tens of ms of the
	// main thread, most of it font lookups) otherwise came just as the wasm's bytes arrived, and
	// the compile, the socket's messages and the answer waited behind it (README, issue 14). Until
	// then `data-starting` on <html> keeps <body> unrendered (style/main.css); the page's
	// background paints as before. Without scripts the attribute is never set.
	// Once the starter has taken an offer in time, the render waits for its connection instead,
	// `renderHoldMs` at most: at `firstRenderWaitMs` it fell mid-answer on a cold page, tens of
	// ms of the main thread that the answer and ICE waited behind (README, issue 14).
	const root = document.documentElement;
	const render = () => root.removeAttribute("data-starting");
	root.setAttribute("data-starting", "");
	let held = false;
	setTimeout(() => held || render(), firstRenderWaitMs);
	const hold = () => {
		if (held || !root.hasAttribute("data-starting")) return;
		held = true;
		setTimeout(render, renderHoldMs);
	};
	let early = null;
	try {
		const scheme = location.protocol === "https:" ? "wss:" : "ws:";
		// The path carries the join (`?join=viewer`): the server takes it with the handshake,
		// without waiting for this page to see the socket open.
		const socket = new WebSocket(`${scheme}//${location.host}${socketPath}`);
		early = { socket, sent: join, inbox: [] };
		socket.onmessage = (e) => early.inbox.push(e.data);
		window[socketGlobal] = early;
	} catch (e) {
		console.warn("OnAir: the early signaling socket did not open; the player opens its own", e);
	}
	// The player's wasm waits until the starter's video plays (or its connection failed, or
	// there was nothing to connect to), `playerPatienceMs` at most. The page renders once it has
	// connected. The starter's wasm compiles while its glue loads.
	const patience = new Promise((done) => setTimeout(done, playerPatienceMs));
	const started = starter && early
		? Promise.all([import(starter[0]), WebAssembly.compileStreaming(fetch(starter[1]))])
			.then(([mod, compiled]) => mod.default({ module_or_path: compiled }).then(() => mod.start_first_connection(early, render, hold)))
			.catch((e) => console.warn("OnAir: the player connects instead of the starter", e))
		: Promise.resolve();
	Promise.race([started, patience]).then(() => {
		// The wasm downloads and compiles now, but hydrates only once the whole document is
		// parsed: hydrating a half-parsed page fails (Leptos's own loader waits for the same).
		const parsed = document.readyState === "loading"
			? new Promise((done) => document.addEventListener("DOMContentLoaded", done, { once: true }))
			: Promise.resolve();
		// The wasm compiles as its bytes arrive, beside the glue's import rather than after it;
		// a browser that cannot (or a failed compile) instantiates from the response instead.
		const compiled = WebAssembly.compileStreaming
			? WebAssembly.compileStreaming(fetch(wasm)).catch(() => fetch(wasm))
			: fetch(wasm);
		// Playback starts as soon as the wasm is ready; the page hydrates once playback has
		// connected (hydrating holds the main thread for tens of ms, which every step of the
		// answer and every candidate would wait behind), or once the wasm is ready when this
		// loader ran `playerPatienceMs` ago or more; in a task of its own. The page then takes
		// playback over.
		import(js).then((mod) => mod.default({ module_or_path: compiled }).then(() => {
			// Should the early start fail, the page still hydrates and its player starts then.
			const watching = Promise.resolve()
				.then(() => mod.start_watching())
				.catch((e) => console.error("OnAir: playback did not start before the page", e));
			return Promise.all([Promise.race([watching, patience]), parsed]);
		}).then(() => setTimeout(() => {
			render();
			mod.hydrate();
		})));
	});
})
