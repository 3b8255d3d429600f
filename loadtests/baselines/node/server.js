// Bare Node.js socket.io server: the baseline for gridhub-load's room fan-out.
//
// It speaks the same small contract as loadtests/realtime/baseline.py so one load generator
// drives both: every socket joins one room on connect, `presence.activity` is acked,
// `channel.create` answers a fixed channel, and `channel.send` emits the message to the room
// and acks it. No auth, nothing stored. Listens on 127.0.0.1 only.
//
//   node server.js --port 9100 [--ping-interval 25]
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const port = Number(option("--port", "0"));
const pingInterval = Number(option("--ping-interval", "25")) * 1000;
const ROOM = "channel:1";
const CHANNEL = { id: 1, kind: "adhoc", name: "baseline", epoch: "e0", last_offset: 0 };
let offset = 0;

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true}');
    return;
  }
  res.writeHead(404);
  res.end();
});

const io = new Server(server, { pingInterval, serveClient: false, cors: { origin: false } });

io.on("connection", (socket) => {
  socket.join(ROOM);
  socket.on("presence.activity", (_data, ack) => {
    if (typeof ack === "function") ack({ ok: true, state: "online" });
  });
  socket.on("channel.create", (_data, ack) => {
    if (typeof ack === "function") ack({ ok: true, channel: CHANNEL });
  });
  socket.on("channel.send", (data, ack) => {
    offset += 1;
    const body = data && typeof data === "object" ? data : {};
    const message = {
      id: offset, channel_id: 1, offset, epoch: "e0", sender_id: 0,
      kind: body.kind || "text", body: body.body ?? null,
      client_msg_id: body.client_msg_id ?? null, created_at: Date.now() / 1000, mentions: [],
    };
    io.to(ROOM).emit("channel.message", message);
    if (typeof ack === "function") ack({ ok: true, message });
  });
});

server.listen(port, "127.0.0.1");

function stop() {
  io.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on("SIGTERM", stop);
process.on("SIGINT", stop);
