#!/usr/bin/env node
// Drives wsloop's demo page in Debian's headless Chromium through playwright-core
// (no browser download: the executable is /usr/bin/chromium or $CHROMIUM).
//
// Usage: node browser_demo.js HTTP_BASE_URL on|off OUT_DIR
//   Opens the demo page in two pages, sends a chat message from one and waits for it in
//   the other's #log, runs the echo round trip (#ping -> #echo[data-done=1]), checks the
//   permessage-deflate negotiation seen by Chromium's network stack (on|off), and writes
//   OUT_DIR/demo-<mode>.png.
//
// Prints "ok <case>" per passed case, then "PASS <n> cases"; on failure "FAIL <case>: <error>"
// and exit code 1. Every wait is bounded.
"use strict";

const fs = require("fs");
const path = require("path");
const { drive, expect, watchErrors } = require("./browser_common.js");

const TIMEOUT_MS = 15000;

// watchHandshakes records the Sec-WebSocket-Extensions answer of every WebSocket
// handshake a page makes, keyed by URL path, through the DevTools protocol.
async function watchHandshakes(context, page) {
  const seen = {};
  const urls = {};
  const cdp = await context.newCDPSession(page);
  cdp.on("Network.webSocketCreated", (e) => {
    urls[e.requestId] = new URL(e.url).pathname;
  });
  cdp.on("Network.webSocketHandshakeResponseReceived", (e) => {
    const h = e.response.headers || {};
    const key = Object.keys(h).find((k) => k.toLowerCase() === "sec-websocket-extensions");
    seen[urls[e.requestId] || "?"] = { status: e.response.status, ext: key ? h[key] : "" };
  });
  await cdp.send("Network.enable");
  return seen;
}

const [base, mode, outDir] = process.argv.slice(2);
if (!base || (mode !== "on" && mode !== "off") || !outDir) {
  console.error("usage: node browser_demo.js http://127.0.0.1:PORT on|off OUT_DIR");
  process.exit(2);
}

drive({ timeout: TIMEOUT_MS, viewport: { width: 900, height: 800 } }, async (run, context) => {
  console.log(`playwright-core ${require("playwright-core/package.json").version}, ` +
    `chromium ${context.browser() ? context.browser().version() : "(persistent)"}, compression ${mode}`);
  run.ok("launch");

  run.step = "open-two-pages";
  const a = context.pages()[0] || (await context.newPage());
  const b = await context.newPage();
  const handshakesA = await watchHandshakes(context, a);
  for (const p of [a, b]) {
    watchErrors(run, p);
    await p.goto(base + "/", { waitUntil: "load" });
    await p.waitForFunction(() => document.getElementById("status").textContent === "connected");
  }
  run.ok("open-two-pages");

  run.step = "chat";
  const token = "hello from page A " + Date.now();
  await a.fill("#msg", token);
  await a.click("#send");
  await b.waitForFunction((t) => document.getElementById("log").textContent.includes(t), token);
  await a.waitForFunction((t) => document.getElementById("log").textContent.includes(t), token);
  expect((await a.inputValue("#msg")) === "", "input not cleared after send");
  run.ok("chat");

  run.step = "echo";
  await a.click("#ping");
  await a.waitForSelector('#echo[data-done="1"]');
  const echoText = await a.textContent("#echo");
  expect(/^100 round trips, [0-9.]+ ms each$/.test(echoText), `#echo says ${JSON.stringify(echoText)}`);
  console.log(`   #echo: ${echoText}`);
  run.ok("echo");

  run.step = "compression";
  const deadline = Date.now() + TIMEOUT_MS;
  while ((!handshakesA["/chat"] || !handshakesA["/echo"]) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(`   handshakes: ${JSON.stringify(handshakesA)}`);
  for (const p of ["/chat", "/echo"]) {
    const h = handshakesA[p];
    expect(h && h.status === 101, `no 101 handshake seen for ${p}`);
    if (mode === "on") expect(/permessage-deflate/.test(h.ext), `${p}: permessage-deflate not negotiated`);
    else expect(h.ext === "", `${p}: unexpected extension ${h.ext}`);
  }
  run.ok("compression");

  run.step = "metrics";
  await a.waitForFunction(() => document.querySelectorAll("#metrics tr").length >= 7);
  run.ok("metrics");

  run.step = "screenshot";
  const shot = path.join(outDir, `demo-${mode}.png`);
  await a.screenshot({ path: shot, fullPage: true });
  const png = fs.readFileSync(shot);
  expect(png.length > 1000, `screenshot is ${png.length} bytes`);
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), "not a PNG");
  console.log(`   screenshot: ${shot} (${png.length} bytes)`);
  run.ok("screenshot");
});
