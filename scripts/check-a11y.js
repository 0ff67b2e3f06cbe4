// Runs axe-core against the built app in headless Chromium on every stage 1–11, with the
// inspector open, with a group's panel open (stage 10), with the Why panel's chaos catalogue
// used (stage 5), with the editor open (stage 4: a node selected, its "connect to…" list
// open, then a refused wire; stages 10 and 11: the drawing fitted to its box, then its web
// pool opened to its servers), with the capacity panel open (stages 1 and 11: its body comes
// from the views' module on first use), and on the
// embed view in an 800 x 500 frame (which must not scroll), and measures the rendered size of every text of the diagram and
// of the editor's drawing.
// Fails on any serious or critical violation, on a diagram text smaller than 11 px in a
// 1400-px-wide window, and on a diagram (alone in its card) or an editor's drawing at fit that
// scrolls sideways there or in a 1920-, 1280- or 1000-px-wide window, alone or with the
// inspector open (each line says whether it fits).
// Usage: trunk build --release && (serve dist/ on some address) &&
//        node scripts/check-a11y.js http://127.0.0.1:8080/
// PLAYWRIGHT_CORE, AXE_CORE: where playwright-core and axe-core are, if not in .tools/node_modules.
// Prints one JSON line per view: stage, view, serious/critical violations (rule → elements),
// every violation's count by impact, the smallest diagram text in px, the diagram box's width
// and whether the drawing fits it.
const path = require("path");
const root = path.join(__dirname, "..");
const tools = path.join(root, ".tools/node_modules");
const { chromium } = require(process.env.PLAYWRIGHT_CORE || path.join(tools, "playwright-core"));
const axePath = path.join(process.env.AXE_CORE || path.join(tools, "axe-core"), "axe.min.js");

const READABLE_PX = 11;

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
  const scroll = document.querySelector(".diagram-scroll");
  return {
    ...smallest,
    box_w: box.width,
    view_w: scroll.clientWidth,
    fits: scroll.scrollWidth <= scroll.clientWidth + 1,
  };
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
  if (Object.keys(serious).length) failures.push(`stage ${stage} (${view}): ${JSON.stringify(serious)}`);
  if (text.px < READABLE_PX) {
    failures.push(`stage ${stage} (${view}): "${text.text}" drawn at ${text.px.toFixed(1)} px`);
  }
  // Whether the drawing fits the card without scrolling sideways (src/layout.rs checks
  // natively that it would in a box BOX_W_AT_1400_PX wide): a failure for the diagram alone
  // and with the inspector beside it (the lesson then goes under the figures).
  line.view_w = text.view_w;
  line.fits = text.fits;
  if ((view === "diagram" || view === "inspector") && !text.fits) {
    failures.push(`stage ${stage} (${view}): the diagram scrolls sideways in a ${text.view_w}-px box`);
  }
  console.log(JSON.stringify(line));
}

// Other windows than 1400 px, where learners also read the app (a 1920-px screen, a 1280-px
// laptop, a 1000-px half screen): the diagram (alone in its card, or with the inspector open)
// still fits without scrolling sideways, its texts at least 11 px, and the page itself does
// not scroll sideways.
const NARROWER_PX = [1920, 1280, 1000];

async function checkNarrower(page, stage, failures, view = "diagram") {
  for (const width of NARROWER_PX) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(300);
    const text = await page.evaluate(smallestText);
    const page_w = await page.evaluate(() => document.documentElement.scrollWidth);
    console.log(JSON.stringify({ stage, view: `${view} at ${width} px`, smallest_text_px: Number(text.px.toFixed(2)), view_w: text.view_w, fits: text.fits, page_w }));
    if (!text.fits) failures.push(`stage ${stage} (${view} at ${width} px): scrolls sideways in a ${text.view_w}-px box`);
    if (text.px < READABLE_PX) failures.push(`stage ${stage} (${view} at ${width} px): "${text.text}" drawn at ${text.px.toFixed(1)} px`);
    if (page_w > width) failures.push(`stage ${stage} (${width} px): the page is ${page_w} px wide`);
  }
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.waitForTimeout(300);
}

// The editor open on the stage's architecture: a node selected with its parameters and its
// "connect to…" list, then a wire the rules refuse (the reason shown beside the drawing).
async function checkEditor(page, failures) {
  await page.click('[data-action="close-inspector"]');
  await page.click('[data-action="edit"]');
  await page.waitForSelector("[data-editor]");
  await page.click('[data-node="cache"], [data-node="db"]');
  await page.click('[data-editor] [data-action="connect"]');
  await page.waitForSelector("[data-connect-list]");
  await check(page, 4, "editor", failures);
  await page.click('[data-add="cache"]');
  const drag = async (a, b) => {
    const A = await page.locator(`[data-node="${a}"] > rect`).boundingBox();
    const B = await page.locator(`[data-node="${b}"] > rect`).boundingBox();
    await page.mouse.move(A.x + A.width / 2, A.y + A.height / 2);
    await page.mouse.down();
    await page.mouse.move(B.x + B.width / 2, B.y + B.height / 2, { steps: 4 });
    await page.mouse.up();
  };
  await drag("cache", "web");
  await page.waitForSelector("[data-refusal]");
  await check(page, 4, "editor, wire refused", failures);
  const px = await page.evaluate(() => {
    let smallest = Infinity;
    for (const el of document.querySelectorAll(".editor-canvas svg text")) {
      smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a);
    }
    return smallest;
  });
  console.log(JSON.stringify({ stage: 4, view: "editor drawing", smallest_text_px: Number(px.toFixed(2)) }));
  if (px < READABLE_PX) failures.push(`stage 4 (editor): a label drawn at ${px.toFixed(1)} px`);
}

// The smallest text of the editor's drawing on screen, in CSS px.
function smallestEditorText() {
  let smallest = { px: Infinity, text: "" };
  for (const el of document.querySelectorAll("[data-editor-drawing] text")) {
    if (el.getClientRects().length === 0) continue;
    const px = parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a;
    if (px < smallest.px) smallest = { px, text: el.textContent.trim().slice(0, 40) };
  }
  return smallest;
}

// The editor on a stage-10 or stage-11 architecture, fitted to its box: axe-clean, and its
// smallest text still >= 11 px (the drawing scrolls rather than shrink below that).
async function checkBigDrawing(page, stage, failures) {
  await page.click('[data-action="edit"]');
  await page.waitForSelector("[data-editor-drawing]");
  await page.click('[data-action="zoom-fit"]');
  await page.waitForTimeout(300);
  await check(page, stage, "editor", failures);
  // The web pool opened to its running servers (a button each).
  await page.click('[data-node="web"]');
  await page.waitForSelector('[data-members-of="web"] [data-member]');
  await check(page, stage, "editor, web pool open", failures);
  // Closed again by a press on its head (its rows lie over the rest of the box).
  await page.click('[data-node="web"]', { position: { x: 40, y: 14 } });
  await page.waitForSelector('[data-members-of="web"]', { state: "detached" });
  const text = await page.evaluate(smallestEditorText);
  const box = await page.evaluate(() => {
    const c = document.querySelector(".editor-canvas");
    return { view_w: c.clientWidth, drawing_w: c.scrollWidth };
  });
  console.log(JSON.stringify({ stage, view: "editor drawing at fit", smallest_text_px: Number(text.px.toFixed(2)), ...box }));
  if (text.px < READABLE_PX) failures.push(`stage ${stage} (editor at fit): "${text.text}" drawn at ${text.px.toFixed(1)} px`);
  if (box.drawing_w > box.view_w + 1) {
    failures.push(`stage ${stage} (editor at fit): the drawing scrolls sideways (${box.drawing_w} px in ${box.view_w})`);
  }
  for (const width of NARROWER_PX) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(300);
    const narrow = await page.evaluate(() => {
      const c = document.querySelector(".editor-canvas");
      return { view_w: c.clientWidth, drawing_w: c.scrollWidth, page_w: document.documentElement.scrollWidth };
    });
    const px = (await page.evaluate(smallestEditorText)).px;
    console.log(JSON.stringify({ stage, view: `editor drawing at fit, ${width} px`, smallest_text_px: Number(px.toFixed(2)), ...narrow }));
    if (px < READABLE_PX) failures.push(`stage ${stage} (editor at fit, ${width} px): a label drawn at ${px.toFixed(1)} px`);
    if (narrow.drawing_w > narrow.view_w + 1 || narrow.page_w > width) {
      failures.push(`stage ${stage} (editor at fit, ${width} px): the drawing scrolls sideways (${narrow.drawing_w} px in ${narrow.view_w})`);
    }
  }
  await page.setViewportSize({ width: 1400, height: 900 });
}

// The embed view (#embed/<link>) in an 800 x 500 frame: axe-clean, and it fits.
async function checkEmbed(context, base, failures) {
  const page = await context.newPage();
  await page.setViewportSize({ width: 800, height: 500 });
  page.on("pageerror", (e) => failures.push(`embed: page error ${e.message}`));
  await page.goto(base + "#embed/v1.s5");
  await page.waitForSelector("[data-embed] svg[data-diagram]");
  await page.waitForTimeout(1500);
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  const serious = {};
  for (const v of result) if (v.impact === "serious" || v.impact === "critical") serious[v.id] = v.nodes;
  const fit = await page.evaluate(() => {
    const d = document.documentElement;
    return { scroll_w: d.scrollWidth, scroll_h: d.scrollHeight };
  });
  console.log(JSON.stringify({ view: "embed 800x500", serious, ...fit }));
  if (Object.keys(serious).length) failures.push(`embed: ${JSON.stringify(serious)}`);
  if (fit.scroll_w > 800 || fit.scroll_h > 500) failures.push(`embed: the page is ${fit.scroll_w} x ${fit.scroll_h}, not within 800 x 500`);
  await page.close();
}

// The challenges: the list, a challenge's page, and the grade of its starting architecture
// (which fails, so the verdict, the failed objectives and "what broke first" are all shown).
async function checkChallenges(context, base, failures) {
  const page = await context.newPage();
  page.on("pageerror", (e) => failures.push(`challenges: page error ${e.message}`));
  await page.goto(base + "#v1.s1");
  await page.waitForSelector("svg[data-diagram]");
  await page.click('[data-action="challenges-toggle"]');
  await page.waitForSelector('[data-challenge="1"] button');
  await check(page, 1, "challenges list", failures);
  await page.click('[data-challenge="1"] button');
  await page.waitForSelector('[data-action="challenge-grade"]');
  await check(page, 1, "challenge page", failures);
  await page.click('[data-action="challenge-grade"]');
  await page.waitForSelector("[data-verdict]", { timeout: 120000 });
  await check(page, 1, "challenge graded", failures);
  await page.close();
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
    await checkNarrower(page, stage, failures);
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
    if (stage === 5) {
      // The Why panel with its chaos catalogue open and a failure applied (a post-mortem row).
      await page.selectOption('select[data-control="speed"]', "6");
      await page.click(".chaos summary");
      await page.click('[data-chaos="kill-cache"]');
      await page.waitForSelector('[data-diagnosis="incident"]', { timeout: 15000 });
      await page.waitForSelector(".postmortem li");
      await check(page, stage, "why panel", failures);
    }
    // The inspector, on the first component that opens it.
    await page.click('svg [data-component][role="button"], svg [data-kind="data-center"]');
    await page.waitForSelector("[data-inspector]");
    await page.waitForTimeout(300);
    await check(page, stage, "inspector", failures);
    await checkNarrower(page, stage, failures, "inspector");
    if (stage === 1 || stage === 11) {
      // The capacity panel: the form and the stage chart (from the views' module).
      await page.click('[data-action="limits-toggle"]');
      await page.waitForSelector('[data-stage-limit="1"] [data-users]', { timeout: 60000 });
      await check(page, stage, "capacity panel", failures);
    }
    if (stage === 4) await checkEditor(page, failures);
    if (stage >= 10) await checkBigDrawing(page, stage, failures);
    await page.close();
  }
  await checkEmbed(context, base, failures);
  await checkChallenges(context, base, failures);
  await browser.close();
  if (failures.length) {
    console.error("accessibility check failed:\n  " + failures.join("\n  "));
    process.exit(1);
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
