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
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const TIMEOUT_MS = 20000;
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

// drawn reports whether a canvas has coloured (chart line) pixels.
function drawn(id) {
  const c = document.getElementById(id);
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  for (let i = 0; i < d.length; i += 4) {
    const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
    if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) return true;
  }
  return false;
}

async function main() {
  const [base1, base2, outDir] = process.argv.slice(2);
  if (!base1 || !base2 || !outDir) {
    console.error("usage: node browser_cluster.js http://127.0.0.1:P1 http://127.0.0.1:P2 OUT_DIR");
    return 2;
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wsloop-chromium-"));
  let context;
  let step = "launch";
  let passed = 0;
  const ok = (name) => { passed++; console.log(`ok ${name}`); };
  const pageErrors = [];
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true, args: ARGS, timeout: TIMEOUT_MS, viewport: { width: 900, height: 1000 },
    });
    context.setDefaultTimeout(TIMEOUT_MS);
    ok("launch");

    step = "open-two-nodes";
    const a = context.pages()[0] || (await context.newPage());
    const b = await context.newPage();
    const pages = [[a, base1, "node1"], [b, base2, "node2"]];
    for (const [p, base, name] of pages) {
      p.on("pageerror", (e) => pageErrors.push(String(e)));
      p.on("console", (m) => {
        if (m.type() === "error" && !/favicon\.ico$/.test(m.location().url || "")) pageErrors.push("console: " + m.text());
      });
      await p.goto(base + "/", { waitUntil: "load" });
      await p.waitForFunction(() => document.getElementById("status").textContent === "connected");
      await p.waitForFunction((n) => document.getElementById("node").textContent === n, name);
    }
    ok("open-two-nodes");

    step = "chat-across-nodes";
    // The chat topic's interest must reach NATS before the first message: retry
    // the first send until the other tab shows one.
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
    ok("chat-across-nodes");

    step = "charts";
    for (const p of [a, b]) {
      await p.waitForSelector('#legend[data-nodes="2"]');
      await p.waitForFunction(() => document.getElementById("legend").textContent.includes("node1") &&
        document.getElementById("legend").textContent.includes("node2"));
      await p.waitForFunction(drawn, "conns");
      await p.waitForFunction(drawn, "rate");
    }
    ok("charts");

    step = "screenshot";
    const shot = path.join(outDir, "cluster.png");
    await a.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size > 1000, "screenshot too small");
    ok("screenshot");

    step = "page-errors";
    expect(pageErrors.length === 0, "page errors: " + pageErrors.join("; "));
    ok("page-errors");
    console.log(`PASS ${passed} cases`);
    return 0;
  } catch (e) {
    console.log(`FAIL ${step}: ${e && e.stack ? e.stack : e}`);
    if (pageErrors.length) console.log("page errors: " + pageErrors.join("; "));
    return 1;
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (e) => {
  console.log("FAIL main: " + e);
  process.exit(1);
});
