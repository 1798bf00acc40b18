#!/usr/bin/env node
// Drives the demo page of a two-node wsloop cluster in Debian's headless Chromium
// through playwright-core.
//
// Usage: node browser_cluster.js NODE1_BASE_URL NODE2_BASE_URL OUT_DIR
//   Opens node 1's page in one tab and node 2's in another, checks that each page
//   names its node, that a chat message from either tab reaches the other (across
//   NATS), that both pages chart both nodes, and writes OUT_DIR/cluster.png.
//
// Prints "ok <case>" per passed case, then "PASS <n> cases"; on failure "FAIL <case>: <error>"
// and exit code 1. Every wait is bounded.
"use strict";

const fs = require("fs");
const path = require("path");
const { drive, expect, watchErrors } = require("./browser_common.js");

const TIMEOUT_MS = 20000;

// drawn reports whether a canvas has coloured (chart line) pixels.
function drawn(id) {
  const c = document.getElementById(id);
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) return true;
  }
  return false;
}

const [base1, base2, outDir] = process.argv.slice(2);
if (!base1 || !base2 || !outDir) {
  console.error("usage: node browser_cluster.js http://127.0.0.1:P1 http://127.0.0.1:P2 OUT_DIR");
  process.exit(2);
}

drive({ timeout: TIMEOUT_MS, viewport: { width: 900, height: 1000 } }, async (run, context) => {
  run.ok("launch");

  run.step = "open-two-nodes";
  const a = context.pages()[0] || (await context.newPage());
  const b = await context.newPage();
  for (const [p, base, name] of [[a, base1, "node1"], [b, base2, "node2"]]) {
    watchErrors(run, p);
    await p.goto(base + "/", { waitUntil: "load" });
    await p.waitForFunction(() => document.getElementById("status").textContent === "connected");
    await p.waitForFunction((n) => document.getElementById("node").textContent === n, name);
  }
  run.ok("open-two-nodes");

  run.step = "chat-across-nodes";
  // The chat topic's interest must reach NATS before the first message: resend
  // until the other tab shows it.
  for (const [from, to, label] of [[a, b, "A"], [b, a, "B"]]) {
    const token = `hello from tab ${label} ${Date.now()}`;
    const deadline = Date.now() + TIMEOUT_MS;
    let seen = false;
    while (!seen && Date.now() < deadline) {
      await from.fill("#msg", token);
      await from.click("#send");
      seen = await to.waitForFunction((t) => document.getElementById("log").textContent.includes(t), token, { timeout: 1000 })
        .then(() => true, () => false);
    }
    expect(seen, `tab ${label}'s message did not reach the other node's tab`);
  }
  run.ok("chat-across-nodes");

  run.step = "charts";
  for (const p of [a, b]) {
    await p.waitForSelector('#legend[data-nodes="2"]');
    await p.waitForFunction(() => /node1.*node2/.test(document.getElementById("legend").textContent));
    await p.waitForFunction(drawn, "conns");
    await p.waitForFunction(drawn, "rate");
  }
  run.ok("charts");

  run.step = "screenshot";
  const shot = path.join(outDir, "cluster.png");
  await a.screenshot({ path: shot, fullPage: true });
  expect(fs.statSync(shot).size > 1000, "screenshot too small");
  run.ok("screenshot");
});
