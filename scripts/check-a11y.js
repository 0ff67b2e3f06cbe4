// Runs axe-core against the built app in headless Chromium on every stage 1–11, with the
// inspector open, and with a group's panel open (stage 10), and measures the rendered size of
// every text of the diagram.
// Fails on any serious or critical violation, on a diagram text smaller than 11 px in a
// 1400-px-wide window (beside the inspector the diagram scrolls sideways rather than shrink),
// and when the diagram's box is not as wide as src/layout.rs assumes (BOX_W_AT_1400_PX).
// Usage: trunk build --release && (serve dist/ on some address) &&
//        node scripts/check-a11y.js http://127.0.0.1:8080/
// PLAYWRIGHT_CORE, AXE_CORE: where playwright-core and axe-core are, if not in .tools/node_modules.
// Prints one JSON line per view: stage, view, serious/critical violations (rule → elements),
// every violation's count by impact, the smallest diagram text in px, the diagram box's width.
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "..");
const tools = path.join(root, ".tools/node_modules");
const { chromium } = require(process.env.PLAYWRIGHT_CORE || path.join(tools, "playwright-core"));
const axePath = path.join(process.env.AXE_CORE || path.join(tools, "axe-core"), "axe.min.js");

const READABLE_PX = 11;
const layout = fs.readFileSync(path.join(root, "src/layout.rs"), "utf8");
const boxW = Number(/BOX_W_AT_1400_PX: f64 = ([\d.]+);/.exec(layout)[1]);
const maxScale = Number(/MAX_SCALE: f64 = ([\d.]+);/.exec(layout)[1]);

// Every <text> and <tspan> of the diagram that shows something: its rendered size in CSS px
// (computed font size × the SVG's scale on screen).
function smallestText() {
  const svg = document.querySelector("svg[data-diagram]");
  let smallest = { px: Infinity, text: "" };
  for (const el of svg.querySelectorAll("text, tspan")) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.getClientRects().length === 0) continue;
    const px = parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a;
    if (px < smallest.px) smallest = { px, text: el.textContent.trim().slice(0, 40) };
  }
  const box = document.querySelector(".diagram").getBoundingClientRect();
  return { ...smallest, box_w: box.width, box_h: box.height, units_w: svg.viewBox.baseVal.width };
}

async function check(page, stage, view, failures) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  const text = await page.evaluate(smallestText);
  const serious = {};
  const byImpact = {};
  for (const v of result) {
    byImpact[v.impact] = (byImpact[v.impact] || 0) + v.nodes;
    if (v.impact === "serious" || v.impact === "critical") serious[v.id] = v.nodes;
  }
  const line = {
    stage,
    view,
    serious,
    by_impact: byImpact,
    smallest_text_px: Number(text.px.toFixed(2)),
    smallest_text: text.text,
    box_w: text.box_w,
  };
  console.log(JSON.stringify(line));
  if (Object.keys(serious).length) failures.push(`stage ${stage} (${view}): ${JSON.stringify(serious)}`);
  if (text.px < READABLE_PX) {
    failures.push(`stage ${stage} (${view}): "${text.text}" drawn at ${text.px.toFixed(1)} px`);
  }
  // As wide as the card allows, or as MAX_SCALE allows for a small drawing.
  const expected = Math.min(boxW, Math.round(text.units_w * maxScale));
  if (view === "diagram" && Math.abs(text.box_w - expected) > 1) {
    failures.push(`stage ${stage}: the diagram's box is ${text.box_w} px wide, src/layout.rs expects ${expected}`);
  }
}

(async () => {
  const base = process.argv[2] || "http://127.0.0.1:8080/";
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  // The page's Content-Security-Policy forbids inline scripts: let axe in anyway.
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, bypassCSP: true });
  const failures = [];
  for (let stage = 1; stage <= 11; stage++) {
    const page = await context.newPage();
    page.on("pageerror", (e) => failures.push(`stage ${stage}: page error ${e.message}`));
    // Stage 11 with fewer users (the diagram is the same; the page stays quick).
    const hash = stage === 11 ? "#v1.s11~traffic.users=200000" : `#v1.s${stage}`;
    await page.goto(base + hash);
    await page.waitForSelector("svg[data-diagram]");
    await page.waitForTimeout(1500);
    await check(page, stage, "diagram", failures);
    if (stage === 10) {
      if (!(await page.$('svg [data-group-key="shard-0"]'))) {
        failures.push("stage 10: no shard drawn as a group");
        await page.close();
        continue;
      }
      await page.click('svg [data-group-key="shard-0"]');
      await page.waitForSelector('svg [data-panel="shard-0"]');
      await check(page, stage, "group panel", failures);
      await page.click('svg [data-action="close-group"]');
    }
    // The inspector, on the first component that opens it.
    await page.click('svg [data-component][role="button"], svg [data-kind="data-center"]');
    await page.waitForSelector("[data-inspector]");
    await page.waitForTimeout(300);
    await check(page, stage, "inspector", failures);
    await page.close();
  }
  await browser.close();
  if (failures.length) {
    console.error("accessibility check failed:\n  " + failures.join("\n  "));
    process.exit(1);
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
