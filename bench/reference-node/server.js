// Reference signaling server for `make bench`: the original Node design of OnAir's seed
// protocol (one streamer, viewers keyed by id, JSON relayed as is), on the `ws` package.
// No sign-in, no limits, no validation beyond JSON: a baseline, not a server to deploy.
// Over HTTP on the same port it serves the plain-JS pages of the browser benchmark
// (end2end/bench): /watch.html (viewer) and /stream.html (streamer).
//
//   node server.js [port]        (or PORT=...; default 9292)
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || process.env.PORT || 9292);
const pages = new Set(['/watch.html', '/stream.html']);
const server = http.createServer((req, res) => {
  const page = new URL(req.url, 'http://x').pathname;
  if (!pages.has(page)) return res.writeHead(page === '/' ? 200 : 404).end();
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  fs.createReadStream(path.join(__dirname, page)).pipe(res);
});
const wss = new WebSocketServer({ server, path: '/ws' });

let streamer = null;
const viewers = new Map(); // viewerId -> socket

const send = (ws, msg) => {
  if (ws && ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
};

wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'streamer':
        streamer = ws;
        ws.role = 'streamer';
        send(ws, { type: 'streamerReady', iceServers: [] });
        for (const viewerId of viewers.keys()) send(ws, { type: 'newViewer', viewerId });
        break;
      case 'viewer': {
        const viewerId = crypto.randomBytes(16).toString('hex');
        ws.role = 'viewer';
        ws.viewerId = viewerId;
        viewers.set(viewerId, ws);
        send(ws, { type: 'welcome', viewerId, iceServers: [] });
        send(streamer, { type: 'newViewer', viewerId });
        break;
      }
      case 'offer':
        if (ws === streamer) send(viewers.get(msg.viewerId), msg);
        break;
      case 'answer':
        if (ws.role === 'viewer') send(streamer, { ...msg, viewerId: ws.viewerId });
        break;
      case 'candidate':
        if (msg.target === 'viewer' && ws === streamer) send(viewers.get(msg.viewerId), msg);
        else if (msg.target === 'streamer' && ws.role === 'viewer') send(streamer, { ...msg, viewerId: ws.viewerId });
        break;
    }
  });
  ws.on('close', () => {
    if (ws === streamer) streamer = null;
    if (ws.role === 'viewer') {
      viewers.delete(ws.viewerId);
      send(streamer, { type: 'viewerLeft', viewerId: ws.viewerId });
    }
  });
  ws.on('error', () => {});
});

server.listen(port, '127.0.0.1', () => console.log(`reference signaling server on ws://127.0.0.1:${port}/ws (pid ${process.pid})`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
