#!/usr/bin/env node
// Interop client for wsloop using the Node.js `ws` library (version pinned in package-lock.json).
//
// Usage: node ws_client.js BASE_URL on|off
//   BASE_URL  ws://127.0.0.1:PORT (the server's /echo and /chat are used)
//   on|off    whether the server was started with -compress
//
// Prints "ok <case>" per passed case, then "PASS <n> cases"; on the first failure prints
// "FAIL <case>: <error>" and exits 1. Every wait is bounded by a timeout.
"use strict";

const crypto = require("crypto");
const WebSocket = require("ws");

const TIMEOUT_MS = 10000;
const MAX_PAYLOAD = 4 << 20;

function withTimeout(promise, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout: " + what)), TIMEOUT_MS);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Client wraps a ws connection with a queue of received messages.
class Client {
  constructor(url, compress) {
    this.queue = [];
    this.waiters = [];
    this.extHeader = "";
    this.ws = new WebSocket(url, {
      perMessageDeflate: compress ? {} : false,
      maxPayload: MAX_PAYLOAD,
      handshakeTimeout: TIMEOUT_MS,
    });
    this.ws.on("upgrade", (res) => {
      this.extHeader = res.headers["sec-websocket-extensions"] || "";
    });
    this.ws.on("message", (data, isBinary) => this.push({ data, isBinary }));
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.opened = withTimeout(
      new Promise((resolve, reject) => {
        this.ws.once("open", resolve);
        this.ws.once("error", reject);
        this.ws.once("unexpected-response", (req, res) =>
          reject(Object.assign(new Error("HTTP " + res.statusCode), { status: res.statusCode })),
        );
      }),
      "open " + url,
    );
  }
  push(m) {
    const w = this.waiters.shift();
    if (w) w(m);
    else this.queue.push(m);
  }
  recv() {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return withTimeout(new Promise((resolve) => this.waiters.push(resolve)), "recv");
  }
  async close(code, reason) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    return withTimeout(this.closed, "close");
  }
}

async function open(base, path, compress) {
  const c = new Client(base + path, compress);
  await c.opened;
  return c;
}

async function echo(base, compress, payload, binary) {
  const c = await open(base, "/echo", compress);
  try {
    c.ws.send(payload, { binary });
    const m = await c.recv();
    expect(m.isBinary === binary, `isBinary ${m.isBinary}, want ${binary}`);
    const want = Buffer.from(payload);
    expect(want.equals(m.data), `echo mismatch: ${m.data.length} bytes back for ${want.length}`);
  } finally {
    await c.close(1000);
  }
}

const cases = {
  text: (b, z) => echo(b, z, "héllo wsloop ✓ ".repeat(10), false),
  binary: (b, z) => echo(b, z, Buffer.alloc(4096, 0).map((_, i) => i & 255), true),
  empty: (b, z) => echo(b, z, "", false),
  "large-1MiB-binary": (b, z) => echo(b, z, crypto.randomBytes(1 << 20), true),
  "large-1MiB-text": (b, z) => {
    let s = "";
    for (let i = 0; s.length < 1 << 20; i++) s += `wsloop interop line ${i}\n`;
    return echo(b, z, s.slice(0, 1 << 20), false);
  },
  fragmented: async (b, z) => {
    const c = await open(b, "/echo", z);
    try {
      // fin:false sends a frame that does not end the message; continuation frames follow.
      c.ws.send("frag-", { fin: false });
      c.ws.send("ment", { fin: false });
      c.ws.send("ed ✓", { fin: true });
      let m = await c.recv();
      expect(!m.isBinary && m.data.toString() === "frag-mented ✓", `text fragments: got ${m.data}`);
      const parts = [0, 1, 2, 3, 4].map((i) => Buffer.alloc(1000, i));
      parts.forEach((p, i) => c.ws.send(p, { binary: true, fin: i === parts.length - 1 }));
      m = await c.recv();
      expect(m.isBinary && Buffer.concat(parts).equals(m.data), `binary fragments: got ${m.data.length} bytes`);
      // A ping between two fragments of one message is legal (RFC 6455 5.4): the pong
      // comes back at once and the message is still reassembled.
      const pong = withTimeout(new Promise((resolve) => c.ws.once("pong", resolve)), "pong mid-message");
      c.ws.send("first half, ", { fin: false });
      c.ws.ping("mid");
      c.ws.send("second half", { fin: true });
      expect((await pong).toString() === "mid", "pong payload");
      m = await c.recv();
      expect(m.data.toString() === "first half, second half", `with ping inside: got ${m.data}`);
    } finally {
      await c.close(1000);
    }
  },
  "ping-pong": async (b, z) => {
    const c = await open(b, "/echo", z);
    try {
      for (let i = 0; i < 3; i++) {
        const pong = withTimeout(new Promise((resolve) => c.ws.once("pong", resolve)), "pong");
        c.ws.ping(Buffer.from("ping-" + i));
        const data = await pong;
        expect(data.toString() === "ping-" + i, `pong payload ${data}`);
      }
      c.ws.send("after ping");
      const m = await c.recv();
      expect(m.data.toString() === "after ping", "echo after ping failed");
    } finally {
      await c.close(1000);
    }
  },
  "close-4000": async (b, z) => {
    const c = await open(b, "/echo", z);
    c.ws.send("bye soon");
    await c.recv();
    const { code, reason } = await c.close(4000, "bye");
    expect(code === 4000, `server answered close code ${code}, want 4000`);
    console.log(`   close reason echoed: ${JSON.stringify(reason)}`);
  },
  "close-1000": async (b, z) => {
    const c = await open(b, "/echo", z);
    const { code } = await c.close(1000);
    expect(code === 1000, `server answered close code ${code}, want 1000`);
  },
  compression: async (b, z) => {
    const c = await open(b, "/echo", true); // always offer; the server decides
    try {
      console.log(`   Sec-WebSocket-Extensions: ${JSON.stringify(c.extHeader)}, extensions: ${JSON.stringify(c.ws.extensions)}`);
      if (z) {
        expect(c.extHeader.includes("permessage-deflate"), "server with -compress did not accept permessage-deflate");
        expect(c.ws.extensions.includes("permessage-deflate"), "client did not activate permessage-deflate");
      } else {
        expect(c.extHeader === "", "server without -compress answered an extension");
        expect(c.ws.extensions === "", "extension active without -compress");
      }
      const msg = "compress me ".repeat(5000);
      const before = c.ws._socket.bytesRead; // wire bytes: shows whether the server compresses
      for (let i = 0; i < 3; i++) {
        c.ws.send(msg);
        const m = await c.recv();
        expect(m.data.toString() === msg, "compressed echo mismatch");
      }
      const wire = c.ws._socket.bytesRead - before;
      console.log(`   3 x ${msg.length} B echoed in ${wire} B on the wire`);
      if (z) expect(wire < msg.length, `server did not compress: ${wire} wire bytes`);
      else expect(wire >= 3 * msg.length, `only ${wire} wire bytes without compression`);
      const zeros = Buffer.alloc(70000);
      c.ws.send(zeros, { binary: true });
      const m = await c.recv();
      expect(zeros.equals(m.data), "compressed binary echo mismatch");
    } finally {
      await c.close(1000);
    }
  },
  "chat-broadcast": async (b, z) => {
    const a = await open(b, "/chat", z);
    const c = await open(b, "/chat", z);
    try {
      await new Promise((r) => setTimeout(r, 200)); // let both joins register
      const msg = '{"from":"node-a","text":"hello room"}';
      a.ws.send(msg);
      const gotC = await c.recv();
      const gotA = await a.recv();
      expect(gotC.data.toString() === msg, `peer got ${gotC.data}`);
      expect(gotA.data.toString() === msg, `sender got ${gotA.data}`);
    } finally {
      await a.close(1000);
      await c.close(1000);
    }
  },
  "invalid-utf8-1007": async (b, z) => {
    const c = await open(b, "/echo", z);
    // binary:false sends the Buffer as a text frame without validating it.
    c.ws.send(Buffer.from([0x6f, 0x6b, 0x20, 0xff, 0xfe]), { binary: false });
    const { code } = await withTimeout(c.closed, "server close");
    expect(code === 1007, `server closed with ${code}, want 1007`);
  },
  "concurrent-100": async (b, z) => {
    // 100 connections at once, 20 messages each, all in flight together.
    const conns = await Promise.all(Array.from({ length: 100 }, () => open(b, "/echo", z)));
    try {
      await Promise.all(conns.map(async (c, i) => {
        for (let j = 0; j < 20; j++) {
          const msg = `conn ${i} message ${j} ` + "x".repeat((i * 37 + j * 101) % 3000);
          c.ws.send(msg);
          const m = await c.recv();
          expect(m.data.toString() === msg, `conn ${i} message ${j} mismatch`);
        }
      }));
    } finally {
      await Promise.all(conns.map((c) => c.close(1000)));
    }
  },
  "bad-path-404": async (b, z) => {
    let c;
    try {
      c = await open(b, "/nope", z);
    } catch (e) {
      expect(e.status === 404, `got ${e.message}, want HTTP 404`);
      return;
    }
    await c.close(1000);
    throw new Error("upgrade to /nope succeeded");
  },
};

async function main() {
  const [base, mode] = process.argv.slice(2);
  if (!base || (mode !== "on" && mode !== "off")) {
    console.error("usage: node ws_client.js ws://127.0.0.1:PORT on|off");
    return 2;
  }
  const version = require("ws/package.json").version;
  console.log(`ws ${version}, node ${process.version}, compression ${mode}`);
  const names = Object.keys(cases);
  for (const name of names) {
    try {
      await cases[name](base.replace(/\/$/, ""), mode === "on");
    } catch (e) {
      console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
      return 1;
    }
    console.log(`ok ${name}`);
  }
  console.log(`PASS ${names.length} cases`);
  return 0;
}

main().then((code) => process.exit(code), (e) => {
  console.log("FAIL main: " + e);
  process.exit(1);
});
