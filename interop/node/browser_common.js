// Shared by the headless-Chromium drivers (browser_demo.js, browser_cluster.js):
// the launch, the "ok <case>" / "PASS" / "FAIL <case>" report, and the cleanup.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

// watchErrors records a page's uncaught errors and console errors (a missing
// favicon is not the page's fault) in run.pageErrors.
function watchErrors(run, p) {
  p.on("pageerror", (e) => run.pageErrors.push(String(e)));
  p.on("console", (m) => {
    if (m.type() === "error" && !/favicon\.ico$/.test(m.location().url || "")) {
      run.pageErrors.push("console: " + m.text());
    }
  });
}

// drive launches Debian's Chromium with a fresh profile and runs body(run, context),
// where run.step names the case under way and run.ok(name) reports one passed. It
// prints "PASS <n> cases", or "FAIL <step>: <error>", closes the browser and exits
// with 0 or 1.
function drive(options, body) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wsloop-chromium-"));
  const t0 = Date.now();
  const run = {
    step: "launch",
    passed: 0,
    pageErrors: [],
    ok(name) {
      this.passed++;
      console.log(`ok ${name}`);
      console.log(`   (${name}: ${Date.now() - t0} ms since start)`);
    },
  };
  let context;
  const main = async () => {
    try {
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        headless: true,
        args: ARGS,
        timeout: options.timeout,
        viewport: options.viewport,
      });
      context.setDefaultTimeout(options.timeout);
      await body(run, context);
      run.step = "page-errors";
      expect(run.pageErrors.length === 0, "page errors: " + run.pageErrors.join("; "));
      run.ok("page-errors");
      console.log(`PASS ${run.passed} cases`);
      return 0;
    } catch (e) {
      console.log(`FAIL ${run.step}: ${e && e.stack ? e.stack : e}`);
      if (run.pageErrors.length) console.log("page errors: " + run.pageErrors.join("; "));
      return 1;
    } finally {
      if (context) await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  };
  main().then((code) => process.exit(code), (e) => {
    console.log("FAIL main: " + e);
    process.exit(1);
  });
}

module.exports = { drive, expect, watchErrors };
