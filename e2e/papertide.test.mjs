// End-to-end tests of the papertide web app in real headless Chromium (Debian's `chromium`,
// driven by playwright-core). scripts/e2e builds the binary, imports the first 300 papers of
// ../shared/data/arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz and the 200 papers of
// ../shared/data/arxiv/kaggle-oai-snapshot-head200.jsonl into a fresh data directory, serves
// it with `--auto-feature cs` and runs this file with `node --test`. The tests expect that
// fresh server (nothing submitted, upvoted or commented yet).
//
// The tests run in order and share one browser profile (a fresh temporary directory): one
// user signs up, submits a paper, upvotes it, comments on it, searches, opens a paper,
// switches the theme, and signs out and in again. Every test also fails on any browser
// console error or uncaught page error (JS exceptions, CSP violations, failed loads).
//
// Environment:
//   PAPERTIDE_E2E_URL        the running server (default http://127.0.0.1:8000)
//   PAPERTIDE_E2E_ARTIFACTS  where screenshots go (default target/e2e-artifacts in the repo)
//   PAPERTIDE_E2E_CHROMIUM   the browser binary (default /usr/bin/chromium)
//   PAPERTIDE_E2E_HEADED=1   show the browser window (needs a display)

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BASE = (process.env.PAPERTIDE_E2E_URL || "http://127.0.0.1:8000").replace(/\/+$/, "");
const ARTIFACTS = path.resolve(ROOT, process.env.PAPERTIDE_E2E_ARTIFACTS || "target/e2e-artifacts");
const CHROMIUM = process.env.PAPERTIDE_E2E_CHROMIUM || "/usr/bin/chromium";

// Papers of the fixture. SUBMITTED (gr-qc, from the Kaggle snapshot) is on no feed until the
// test user submits it to today's; the user upvotes and comments on it.
const SUBMITTED = {
  id: "0704.0007",
  title: "Polymer Quantum Mechanics and its Continuum Limit",
  authors: ["Alejandro Corichi", "Tatjana Vukasinac", "Jose A. Zapata"],
};
// AUTO (cs, from the daily listings, listed 2026-03-02) is put on the feed of its publication
// day by `serve --auto-feature cs`; the user then submits it to today's feed as well.
const AUTO = {
  id: "2602.24024",
  title: "Breaking the Illusion of Artificial Consensus: Clone-Robust Weighting for Arbitrary Metric Spaces",
};
// MATH (cs, daily listings) has `$ε$` in its title, rendered by KaTeX.
const MATH = {
  id: "2602.24092",
  query: "sequential approach zs-POSGs",
  titleWithoutMath: "-Optimal Sequential Approach for Solving zs-POSGs",
  authors: ["Jilles S. Dibangoye", "Matthia Sabatelli", "Erwan C. Escudie"],
  abstractStart:
    "While recent reductions of zero-sum partially observable stochastic games (zs-POSGs) to transition-independent stochastic games (TI-SGs)",
};

const USER = `e2e_${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const PASSWORD = "correct horse battery staple";
const TODAY = () => new Date().toISOString().slice(0, 10); // the server's feed days are UTC

const DARK_BG = "rgb(13, 17, 23)"; // --bg of the dark theme (app.css)
const LIGHT_BG = "rgb(255, 255, 255)";

let userDataDir;
let context;
let page;

// Browser problems since the current test started: console errors and page errors.
const problems = [];
// Console errors a test provoked on purpose (a 4xx answer it asked for); see `expectHttpError`.
const expected = [];

function watch(p) {
  p.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const where = msg.location()?.url;
    problems.push(`console error: ${msg.text()}${where ? ` (at ${where})` : ""}`);
  });
  p.on("pageerror", (err) => problems.push(`uncaught page error: ${err.stack || err}`));
}

/// Lets the console error Chromium logs for one deliberate HTTP error status through.
function expectHttpError(status) {
  expected.push(status);
}

function unexpectedProblems() {
  return problems.filter((p) => {
    const m = /the server responded with a status of (\d+)/.exec(p);
    if (m) {
      const i = expected.indexOf(Number(m[1]));
      if (i >= 0) {
        expected.splice(i, 1);
        return false;
      }
    }
    return true;
  });
}

function slug(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);
}

/// A test that fails on browser problems too, and leaves a screenshot of the page on failure.
function e2e(name, fn) {
  test(name, async (t) => {
    problems.length = 0;
    expected.length = 0;
    try {
      await fn(t);
      await page.waitForLoadState("load");
      assert.deepEqual(unexpectedProblems(), [], "the browser reported errors");
    } catch (err) {
      const file = path.join(ARTIFACTS, `failure-${slug(name)}.png`);
      try {
        await page.screenshot({ path: file, fullPage: true });
        t.diagnostic(`failure screenshot of ${page.url()}: ${file}`);
      } catch (e) {
        t.diagnostic(`no failure screenshot: ${e}`);
      }
      throw err;
    }
  });
}

async function screenshot(t, name) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  t.diagnostic(`screenshot ${page.url()} -> ${file}`);
}

/// Clicks something that submits a form or follows a link, and waits for the new page to load
/// (also when the new page has the same URL, as after an upvote).
async function clickAndWait(locator) {
  const navigated = page.waitForEvent("framenavigated", { predicate: (f) => f === page.mainFrame() });
  await locator.click();
  await navigated;
  await page.waitForLoadState("load");
}

async function goto(pathname) {
  const response = await page.goto(BASE + pathname, { waitUntil: "load" });
  assert.ok(response, `no response for ${pathname}`);
  return response;
}

const norm = (s) => (s ?? "").replace(/\s+/g, " ").trim();
const text = async (locator) => norm(await locator.textContent());
const bodyBg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

const accountNav = () => page.locator('header.site nav[aria-label="Account"]');
const feedCard = (title) => page.locator("ol.cards > li.card").filter({ has: page.getByRole("link", { name: title, exact: true }) });
const upvoteButton = () => page.locator('form[action$="/upvote"] button');

async function assertSignedIn() {
  const nav = accountNav();
  assert.equal(await nav.locator(`a[href="/users/${USER}"]`).textContent(), USER, "header links to the user");
  assert.equal(await nav.getByRole("button", { name: "Sign out" }).count(), 1, "header has a sign-out button");
  assert.equal(await nav.getByRole("link", { name: "Sign in" }).count(), 0, "no sign-in link when signed in");
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  userDataDir = mkdtempSync(path.join(tmpdir(), "papertide-e2e-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: process.env.PAPERTIDE_E2E_HEADED !== "1",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
    colorScheme: "light",
    locale: "en-US",
    timezoneId: "UTC",
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  context.on("page", watch);
  page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  const health = await context.request.get(`${BASE}/healthz`);
  assert.equal(health.status(), 200, `${BASE}/healthz`);
  assert.match(await health.text(), /^ok\npapers [1-9]/, "the server has papers");
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

e2e("a first visit to the home page: no browser errors, today or the latest day with papers", async () => {
  // The first page a fresh browser opens; Chromium also asks for /favicon.ico once here.
  const response = await goto("/");
  assert.equal(response.status(), 200);
  assert.match(await page.title(), /^Daily papers · .* · papertide$/);
  assert.ok((await page.locator("ol.cards > li.card").count()) > 0, "the feed has papers (auto-featured)");
  assert.equal(await page.locator('link[rel="stylesheet"]').count(), 2);
  // Give late requests (favicon) and deferred scripts time to report.
  await page.waitForLoadState("networkidle");
});

e2e("sign up with the form and land signed in", async () => {
  await goto("/");
  assert.equal(await accountNav().getByRole("link", { name: "Sign in" }).count(), 1, "anonymous header offers sign-in");
  await clickAndWait(accountNav().getByRole("link", { name: "Sign up" }));
  assert.equal(new URL(page.url()).pathname, "/signup");
  await page.locator("#name").fill(USER);
  await page.locator("#email").fill(`${USER}@example.org`);
  await page.locator("#password").fill(PASSWORD);
  await clickAndWait(page.locator("main").getByRole("button", { name: "Sign up" }));
  assert.equal(new URL(page.url()).pathname, "/", "sign-up lands on the feed");
  await assertSignedIn();
  const cookies = await context.cookies(BASE);
  const session = cookies.find((c) => c.name === "pt_session");
  assert.ok(session, "a session cookie is set");
  assert.equal(session.httpOnly, true, "the session cookie is HttpOnly");
  assert.equal(session.sameSite, "Lax");

  // The profile page exists.
  await clickAndWait(accountNav().locator(`a[href="/users/${USER}"]`));
  assert.match(await text(page.locator("main")), new RegExp(USER));
});

e2e("submit a paper by id: it is on today's feed, submitted by the user; a duplicate is refused politely", async () => {
  await goto("/");
  await clickAndWait(accountNav().getByRole("link", { name: "Submit" }));
  assert.equal(new URL(page.url()).pathname, "/papers/submit");
  await page.locator("#paper").fill(SUBMITTED.id);
  await clickAndWait(page.getByRole("button", { name: "Submit to today's feed" }));
  assert.equal(new URL(page.url()).pathname, `/papers/${SUBMITTED.id}`, "submitting opens the paper page");
  assert.equal(await text(page.locator("h1")), SUBMITTED.title);
  const submitted = page.locator("article p.muted", { hasText: "Submitted by" });
  assert.equal(await text(submitted), `Submitted by ${USER} on ${TODAY()}`);
  assert.equal(await submitted.locator("a").getAttribute("href"), `/users/${USER}`);

  // Today's feed (the home page) lists it, submitted by the user.
  await goto("/");
  const card = feedCard(SUBMITTED.title);
  assert.equal(await card.count(), 1, "the submitted paper is on the home feed");
  assert.match(await text(card.locator(".meta")), new RegExp(`submitted by ${USER}`));
  assert.equal(await text(card.locator(".authors")), SUBMITTED.authors.join(", "));
  assert.equal(await page.locator(`nav[aria-label="Window"] a[href="/papers/date/${TODAY()}"]`).count(), 1, "the home page shows today");

  // The same paper again, as an abs URL with a version: a polite notice, not an error.
  await goto("/papers/submit");
  await page.locator("#paper").fill(`https://arxiv.org/abs/${SUBMITTED.id}v2`);
  expectHttpError(409);
  await clickAndWait(page.getByRole("button", { name: "Submit to today's feed" }));
  const notice = page.locator("main p.notice");
  assert.equal(
    await text(notice),
    `${SUBMITTED.id} is already on today's feed (submitted by ${USER}). Upvote it instead!`,
  );
  assert.equal(await notice.evaluate((n) => n.classList.contains("error")), false, "a duplicate is not shown as an error");

  // Not an arXiv id: an error notice, and the form keeps the input.
  await page.locator("#paper").fill("not a paper");
  expectHttpError(400);
  await clickAndWait(page.getByRole("button", { name: "Submit to today's feed" }));
  assert.match(await text(page.locator("main p.notice.error")), /is not an arXiv id or URL/);
  assert.equal(await page.locator("#paper").inputValue(), "not a paper");
});

e2e("submitting a paper already featured on its publication day puts it on today's feed and credits the user", async () => {
  await goto("/papers/submit");
  await page.locator("#paper").fill(`https://arxiv.org/abs/${AUTO.id}`);
  await clickAndWait(page.getByRole("button", { name: "Submit to today's feed" }));
  assert.equal(new URL(page.url()).pathname, `/papers/${AUTO.id}`, "submitting opens the paper page");
  assert.equal(await text(page.locator("h1")), AUTO.title);

  // Still on its publication day's feed (auto-featured, no submitter) ...
  await goto("/papers/date/2026-03-02?category=cs.GT");
  assert.equal(await feedCard(AUTO.title).count(), 1, "on the feed of its publication day");
  assert.doesNotMatch(await text(feedCard(AUTO.title).locator(".meta")), /submitted by/);
  // ... and now on today's, submitted by the user.
  await goto("/");
  const card = feedCard(AUTO.title);
  assert.equal(await card.count(), 1, "on today's feed");
  assert.match(await text(card.locator(".meta")), new RegExp(`submitted by ${USER}`));

  // The paper page credits the user who submitted it (the auto-feature has no submitter).
  await goto(`/papers/${AUTO.id}`);
  const submitted = page.locator("article p.muted", { hasText: "Submitted by" });
  assert.equal(await submitted.count(), 1, `the page of ${AUTO.id} says who submitted it`);
  assert.equal(await text(submitted), `Submitted by ${USER} on ${TODAY()}`);
});

e2e("upvote on the paper page and on the feed: the count moves by one and the button shows pressed", async (t) => {
  await goto(`/papers/${SUBMITTED.id}`);
  let button = upvoteButton();
  assert.equal(await text(button), "▲ Upvote · 0");
  assert.equal(await button.getAttribute("aria-pressed"), "false");
  await clickAndWait(button);
  assert.equal(new URL(page.url()).pathname, `/papers/${SUBMITTED.id}`);
  button = upvoteButton();
  assert.equal(await text(button), "▲ Upvoted · 1");
  assert.equal(await button.getAttribute("aria-pressed"), "true");

  // The feed agrees; undo there, then upvote again.
  await goto("/");
  const card = feedCard(SUBMITTED.title);
  const count = card.locator(".vote .count");
  const vote = card.locator(".vote button");
  assert.equal(await text(count), "1");
  assert.equal(await vote.getAttribute("aria-pressed"), "true");
  assert.equal(await vote.getAttribute("aria-label"), `Remove upvote from ${SUBMITTED.title}`);
  const landed = [];
  await clickAndWait(vote);
  landed.push(new URL(page.url()).pathname);
  await goto("/");
  assert.equal(await text(count), "0", "undo from the feed");
  assert.equal(await vote.getAttribute("aria-pressed"), "false");
  assert.equal(await vote.getAttribute("aria-label"), `Upvote ${SUBMITTED.title}`);
  await clickAndWait(vote);
  landed.push(new URL(page.url()).pathname);
  await goto("/");
  assert.equal(await text(count), "1", "upvote from the feed");
  assert.equal(await vote.getAttribute("aria-pressed"), "true");
  assert.equal(await text(page.locator("ol.cards > li.card").first().locator("h2")), SUBMITTED.title, "the most upvoted paper comes first");

  await goto(`/papers/${SUBMITTED.id}`);
  assert.equal(await text(upvoteButton()), "▲ Upvoted · 1");

  // Voting on the feed returns to the feed (not to the paper page).
  for (const where of landed) {
    assert.match(where, /^\/(papers\/(date|week|month)\/.*)?$/, "voting on the feed lands back on a feed");
  }
});

e2e("on the feed an upvoted button looks different from one not upvoted", async () => {
  await goto("/");
  const voted = feedCard(SUBMITTED.title).locator(".vote button");
  const other = feedCard(AUTO.title).locator(".vote button");
  assert.equal(await voted.getAttribute("aria-pressed"), "true");
  assert.equal(await other.getAttribute("aria-pressed"), "false");
  const look = (b) =>
    b.evaluate((e) => {
      const s = getComputedStyle(e);
      return [s.backgroundColor, s.color, s.borderColor, s.boxShadow, s.opacity, s.fontWeight, e.textContent].join(" | ");
    });
  assert.notEqual(await look(voted), await look(other), "the pressed state is visible, not only in aria-pressed");
});

e2e("comment in Markdown: bold is rendered, HTML and javascript: links are inert", async () => {
  await goto(`/papers/${SUBMITTED.id}`);
  assert.equal(await text(page.locator("#comments-h")), "Comments (0)");
  const body = [
    "A **bold** claim <script>window.__xss=1</script> with `code` and a [link](https://example.org/).",
    "",
    '<img src="/nope.png" onerror="window.__xss=2">',
    "",
    "[click me](javascript:window.__xss=3)",
  ].join("\n");
  await page.locator("#comment-body").fill(body);
  await clickAndWait(page.getByRole("button", { name: "Comment", exact: true }));
  const url = new URL(page.url());
  assert.equal(url.pathname, `/papers/${SUBMITTED.id}`);
  assert.match(url.hash, /^#comment-\d+$/, "lands on the new comment");
  assert.equal(await text(page.locator("#comments-h")), "Comments (1)");

  const comment = page.locator(`li${url.hash}`);
  assert.equal(await comment.count(), 1);
  assert.equal(await comment.locator(".meta a").first().textContent(), USER);
  assert.equal(await comment.locator("strong").textContent(), "bold");
  assert.equal(await comment.locator("code").textContent(), "code");
  const link = comment.locator('a[href="https://example.org/"]');
  assert.equal(await link.getAttribute("rel"), "nofollow ugc noopener");
  const shown = await text(comment);
  assert.ok(shown.includes("<script>window.__xss=1</script>"), `the script tag is shown as text: ${shown}`);
  assert.ok(shown.includes('<img src="/nope.png" onerror="window.__xss=2">'), "the img tag is shown as text");
  assert.ok(shown.includes("click me"));
  assert.equal(await comment.locator("script, img, iframe").count(), 0, "no live HTML from the comment");
  assert.equal(await comment.locator('a[href^="javascript:"]').count(), 0, "no javascript: link");
  assert.equal(await page.evaluate(() => typeof window.__xss), "undefined", "no comment code ran");

  // The feed counts it.
  await goto("/");
  const comments = feedCard(SUBMITTED.title).locator(`.meta a[href="/papers/${SUBMITTED.id}#comments"]`);
  assert.match(await text(comments), /^1 comments?$/);
});

e2e("search by title words shows the paper with its abstract; the mode switch selects keyword search", async (t) => {
  await goto("/");
  await page.locator("#site-q").fill(MATH.query);
  const navigated = page.waitForURL((u) => u.pathname === "/search");
  await page.locator("#site-q").press("Enter"); // the header's search box
  await navigated;
  const url = new URL(page.url());
  assert.equal(url.pathname, "/search");
  assert.equal(url.searchParams.get("q"), MATH.query);
  assert.equal(await page.locator("#q").inputValue(), MATH.query, "the filter form keeps the query");

  const hit = () => page.locator("ol.cards > li.card").filter({ has: page.locator(`h2 a[href="/papers/${MATH.id}"]`) });
  assert.equal(await hit().count(), 1, "the paper is among the results");
  assert.ok((await text(hit().locator("h2"))).includes(MATH.titleWithoutMath));
  assert.ok((await text(hit().locator("p.abstract"))).startsWith(MATH.abstractStart), "the hit shows the abstract");
  assert.equal(await text(hit().locator(".authors")), MATH.authors.join(", "));

  // Switch to keyword mode with the form's select and its Search button.
  await page.locator("select#mode").selectOption("keyword");
  await clickAndWait(page.locator("form.filters").getByRole("button", { name: "Search" }));
  const url2 = new URL(page.url());
  assert.equal(url2.searchParams.get("mode"), "keyword");
  assert.equal(url2.searchParams.get("q"), MATH.query);
  assert.equal(await page.locator("select#mode").inputValue(), "keyword", "the select shows the mode");
  assert.match(await text(page.locator("main p.muted").first()), /^Results 1–\d+ · keyword search$/);
  const first = page.locator("ol.cards > li.card").first();
  assert.equal(await first.locator("h2 a").getAttribute("href"), `/papers/${MATH.id}`, "the exact title words rank first");
  assert.ok((await first.locator("mark").count()) > 0, "matched words are highlighted");
  assert.ok((await text(first.locator("p.abstract"))).startsWith(MATH.abstractStart));
  await screenshot(t, "search");
});

e2e("open a paper from the results: title (KaTeX math), authors and abstract", async (t) => {
  await goto(`/search?q=${encodeURIComponent(MATH.query)}&mode=keyword`);
  await clickAndWait(page.locator(`ol.cards h2 a[href="/papers/${MATH.id}"]`));
  assert.equal(new URL(page.url()).pathname, `/papers/${MATH.id}`);
  const h1 = page.locator("article h1");
  assert.ok((await text(h1)).includes(MATH.titleWithoutMath), await text(h1));
  // app.js renders math on `load`; KaTeX replaces $ε$ with .katex markup.
  await h1.locator(".katex").first().waitFor({ state: "attached", timeout: 5_000 });
  assert.equal(await h1.locator(".katex").count(), 1, "the $ε$ of the title is rendered by KaTeX");
  assert.ok(!(await h1.evaluate((e) => e.innerText)).includes("$"), "no raw $ delimiters left in the title");
  assert.equal(await text(page.locator("article p.authors")), MATH.authors.join(", "));
  assert.ok((await text(page.locator("article p.abstract"))).startsWith(MATH.abstractStart));
  assert.equal(await page.title(), `An $ε$-Optimal Sequential Approach for Solving zs-POSGs · papertide`);
  assert.equal(
    await page.locator('article a[href="https://arxiv.org/abs/2602.24092"]').count(),
    1,
    "links to the arXiv page",
  );
  // The Markdown form of the page.
  const md = await context.request.get(`${BASE}/papers/${MATH.id}.md`);
  assert.equal(md.status(), 200);
  assert.match(await md.text(), /^# An \$ε\$-Optimal Sequential Approach for Solving zs-POSGs\n/);
  await screenshot(t, "paper");
});

e2e("dark mode: follows the system, the toggle flips it and the choice survives a reload", async (t) => {
  await goto("/");
  await page.evaluate(() => localStorage.removeItem("theme"));
  await page.emulateMedia({ colorScheme: "light" });
  await page.reload({ waitUntil: "load" });
  const html = page.locator("html");
  const toggle = page.locator("#theme-toggle");
  assert.equal(await html.getAttribute("data-theme"), null, "no theme chosen yet");
  assert.equal(await bodyBg(), LIGHT_BG);
  assert.equal(await toggle.getAttribute("aria-pressed"), "false");

  // The system preference is followed while nothing is chosen.
  await page.emulateMedia({ colorScheme: "dark" });
  assert.equal(await bodyBg(), DARK_BG, "dark system theme");
  await page.emulateMedia({ colorScheme: "light" });
  assert.equal(await bodyBg(), LIGHT_BG);

  await toggle.click();
  assert.equal(await html.getAttribute("data-theme"), "dark");
  assert.equal(await toggle.getAttribute("aria-pressed"), "true");
  assert.equal(await bodyBg(), DARK_BG, "the toggle switches to dark");
  await screenshot(t, "feed-dark");

  await page.reload({ waitUntil: "load" });
  assert.equal(await html.getAttribute("data-theme"), "dark", "dark survives a reload");
  assert.equal(await bodyBg(), DARK_BG);
  assert.equal(await page.locator("#theme-toggle").getAttribute("aria-pressed"), "true");
  // ... and other pages.
  await goto(`/papers/${SUBMITTED.id}`);
  assert.equal(await bodyBg(), DARK_BG, "dark on the next page too");

  await page.locator("#theme-toggle").click();
  assert.equal(await html.getAttribute("data-theme"), "light");
  assert.equal(await bodyBg(), LIGHT_BG, "and back to light");
  // An explicit light choice wins over a dark system theme.
  await page.emulateMedia({ colorScheme: "dark" });
  assert.equal(await bodyBg(), LIGHT_BG, "the chosen light theme beats the system's dark");
  await page.emulateMedia({ colorScheme: "light" });
  await page.reload({ waitUntil: "load" });
  assert.equal(await html.getAttribute("data-theme"), "light");
  assert.equal(await bodyBg(), LIGHT_BG);
});

e2e("feed screenshot: the submitted, upvoted, commented paper on today's feed", async (t) => {
  await goto("/");
  const card = feedCard(SUBMITTED.title);
  assert.equal(await text(card.locator(".vote .count")), "1");
  assert.match(await text(page.locator("h1")), /^Daily papers · /);
  await screenshot(t, "feed");
  // A day of the fixture: many papers, auto-featured (no submitter).
  await goto("/papers/date/2026-03-02");
  assert.equal(await text(page.locator("h1")), "Papers of March 2, 2026");
  assert.ok((await page.locator("ol.cards > li.card").count()) >= 10, "the fixture's day has papers");
});

e2e("every same-origin link and asset on the feed, a paper page and a search page answers", async () => {
  const urls = new Set();
  for (const p of ["/", `/papers/${SUBMITTED.id}`, `/papers/${MATH.id}`, `/search?q=${encodeURIComponent(MATH.query)}`]) {
    await goto(p);
    const found = await page.evaluate(() =>
      [...document.querySelectorAll("a[href], link[href], script[src], form[method='get'][action]")].map(
        (e) => e.href || e.src || e.action,
      ),
    );
    for (const u of found) {
      const parsed = new URL(u);
      if (parsed.origin === new URL(BASE).origin) {
        parsed.hash = "";
        urls.add(parsed.toString());
      }
    }
  }
  // One or two of each shape (/papers/ID, /users/NAME, /search?q&page, ...) is enough.
  const perShape = new Map();
  const sample = [...urls].filter((u) => {
    const { pathname, searchParams } = new URL(u);
    const shape = pathname.replace(/[^/]*\d[^/]*/g, "#") + "?" + [...searchParams.keys()].sort().join("&");
    perShape.set(shape, (perShape.get(shape) ?? 0) + 1);
    return perShape.get(shape) <= 2;
  });
  const broken = [];
  for (const u of sample) {
    const r = await context.request.get(u, { maxRedirects: 5 });
    if (r.status() >= 400) broken.push(`${r.status()} ${u}`);
  }
  assert.ok(sample.length > 15, `checked ${sample.length} of ${urls.size} links`);
  assert.deepEqual(broken, [], "broken same-origin links");
});

e2e("sign out, then sign in again (a wrong password is refused)", async () => {
  await goto(`/papers/${SUBMITTED.id}`);
  await clickAndWait(accountNav().getByRole("button", { name: "Sign out" }));
  assert.equal(new URL(page.url()).pathname, "/");
  assert.equal(await accountNav().getByRole("link", { name: "Sign in" }).count(), 1);
  await goto(`/papers/${SUBMITTED.id}`);
  assert.equal(await page.locator("#comment-body").count(), 0, "no comment form when signed out");
  assert.match(await text(page.locator("#comments")), /Sign in to comment\./);
  assert.equal(await text(upvoteButton()), "▲ Upvote · 1", "the count stays; not pressed for anonymous");

  await goto("/signin");
  await page.locator("#name").fill(USER);
  await page.locator("#password").fill("wrong password, really");
  expectHttpError(401);
  await clickAndWait(page.locator("main").getByRole("button", { name: "Sign in" }));
  assert.equal(await text(page.locator("main p.notice.error")), "Wrong name or password.");
  assert.equal(await page.locator("#name").inputValue(), USER, "the name is kept");

  await page.locator("#password").fill(PASSWORD);
  await clickAndWait(page.locator("main").getByRole("button", { name: "Sign in" }));
  assert.equal(new URL(page.url()).pathname, "/");
  await assertSignedIn();
  await goto(`/papers/${SUBMITTED.id}`);
  assert.equal(await upvoteButton().getAttribute("aria-pressed"), "true", "the upvote is the user's again");
});
