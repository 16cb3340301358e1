import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { packagePath } from "../src/paths.js";
import { loadSamples } from "../src/samples/samples.js";
import { signAndPost } from "../src/send/sign-and-post.js";
import { axeViolations, browserUnavailable, launchBrowser } from "./helpers/browser.js";
import { conformanceCorpus } from "./helpers/fixtures.js";
import { type ServeProcess, startServe } from "./helpers/serve.js";
import { tempDir } from "./helpers/temp.js";

// The dashboard as a person meets it: `portcall serve` in its own process, real events
// signed and POSTed to it, Debian's Chromium driving the pages. Screenshots of each page go
// to docs/images for docs/dashboard.md.

const SECRET = "dashboard-browser-test-secret";
const SHOTS = packagePath("docs", "images");
const HOSTILE_NAME = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> "Q'&amp;A" crates`;
const HOSTILE_ID = 2_999_001;

function hostileEvent(): Buffer {
  return Buffer.from(
    JSON.stringify({
      _object: "/event",
      id: 9_100_001,
      version: 2,
      created_at: "2024-10-20T10:00:00.000Z",
      occurred_at: "2024-10-20T09:58:00.000Z",
      type: "/shipment#created",
      data: {
        _object: "/shipment_event_data",
        resource: { _object: "/shipment", id: HOSTILE_ID, name: HOSTILE_NAME, transportation_mode: "air" },
        shipment: { _object: "/shipment", id: HOSTILE_ID, name: HOSTILE_NAME, transportation_mode: "air" },
        location: null,
        containers: [],
      },
    }),
  );
}

const skip = browserUnavailable();

describe("dashboard in Chromium", { skip: skip ?? false }, () => {
  let dir: string;
  let serve: ServeProcess;
  let password: string;
  let browser: BrowserContext;
  let page: Page;
  let cspErrors: string[];
  const corpus = conformanceCorpus();
  const sent = new Map<string, Buffer>();

  const ui = (path = "/") => `${serve.url}/ui${path}`;
  const signedIn = async () => {
    await page.goto(ui("/"));
    if (page.url().includes("/ui/sign-in")) {
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(/\/ui\/(\?.*)?$/);
    }
  };
  const shot = async (name: string) => {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}/dashboard-${name}.png`, fullPage: false });
  };
  const accessible = async (name: string) => {
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `axe-core findings on the ${name} page`);
  };

  before(async () => {
    dir = tempDir("portcall-dashboard-");
    serve = await startServe({ PORTCALL_DATA_DIR: `${dir}/data`, FLEXPORT_WEBHOOK_SECRET: SECRET });
    const passwordFile = `${dir}/data/ui-password`;
    assert.equal(
      statSync(passwordFile).mode & 0o777,
      0o600,
      "the generated password is readable by its owner only",
    );
    password = readFileSync(passwordFile, "utf8").trim();
    const bodies = [...loadSamples().map((s) => s.bytes)];
    if (corpus) bodies.push(...corpus.entries.map((e) => corpus.read(e.file)));
    bodies.push(hostileEvent());
    for (const body of bodies) {
      const answer = await signAndPost(serve.webhookUrl, body, SECRET);
      assert.equal(answer.status, 200, answer.body);
      sent.set((JSON.parse(answer.body) as { id: string }).id, body);
    }
    browser = await launchBrowser();
    page = browser.pages()[0] ?? (await browser.newPage());
    cspErrors = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
    });
    page.on("pageerror", (error) => cspErrors.push(`page error: ${error.message}`));
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it("nothing under /ui/ without credentials → 401 for scripts, the sign-in page for browsers", async () => {
    const plain = await fetch(ui("/"));
    assert.equal(plain.status, 401);
    assert.match(plain.headers.get("www-authenticate") ?? "", /^Basic /);
    for (const path of [
      "/health",
      "/events/7102247",
      "/events/7102247/raw",
      "/assets/uplot.js",
      "/shipments/2714306",
    ]) {
      assert.equal((await fetch(ui(path))).status, 401, path);
    }
    const wrong = await fetch(ui("/"), {
      headers: { authorization: `Basic ${btoa("ops:not-the-password")}` },
    });
    assert.equal(wrong.status, 401);

    await page.goto(ui("/shipments/2714306"));
    assert.match(page.url(), /\/ui\/sign-in\?next=/);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    assert.match(await page.getByRole("alert").innerText(), /not right/);
    await accessible("sign-in");
    await shot("sign-in");
  });

  it("HTTP Basic with the password and any user name → the page", async () => {
    const answer = await fetch(ui("/"), {
      headers: { authorization: `Basic ${btoa(`anyone:${password}`)}` },
    });
    assert.equal(answer.status, 200);
    const csp = answer.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(answer.headers.get("x-content-type-options"), "nosniff");
    assert.equal(answer.headers.get("x-frame-options"), "DENY");
    assert.doesNotMatch(await answer.text(), /<script>(?!<\/script>)|<script [^>]*>[^<]/, "no inline script");
  });

  it("the webhook endpoint is unchanged: unsigned → 401, nothing about the dashboard", async () => {
    const answer = await fetch(serve.webhookUrl, { method: "POST", body: "{}" });
    assert.equal(answer.status, 401);
    assert.equal(((await answer.json()) as { error: string }).error, "unauthorized");
  });

  it("sign in → a session cookie (HttpOnly, SameSite) and the shipments board", async () => {
    await page.goto(ui("/sign-in"));
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/ui\/$/);
    const cookie = (await browser.cookies()).find((c) => c.name === "portcall_session");
    assert.ok(cookie, "a session cookie");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Strict");
    assert.equal(cookie.path, "/ui");
  });

  it("the board lists every shipment with its status", async () => {
    await signedIn();
    const expected: Record<string, string> = {
      "2714306": "Delivered",
      "2742917": "Exception",
      "2731558": "Exception",
      [String(HOSTILE_ID)]: "In transit",
    };
    if (corpus) {
      Object.assign(expected, {
        "1988514": "Delivered",
        "1231314": "Delivered",
        "1679845": "In transit",
        "1213803": "Exception",
        "1635670": "Exception",
        "1615100": "Exception",
      });
    }
    const rows = await page.locator("#shipments tbody tr").evaluateAll((trs) =>
      trs.map((tr) => ({
        id: (tr.querySelector("td.name .sub")?.textContent ?? "").replace("#", ""),
        status: tr.querySelector(".badge[class*='status-']")?.textContent ?? "",
      })),
    );
    assert.deepEqual(
      Object.fromEntries(rows.map((r) => [r.id, r.status])),
      expected,
      "one row per shipment, with the status its events give",
    );
    assert.deepEqual(cspErrors, []);
    await accessible("board");
    await shot("board");
  });

  it("search finds a shipment by container number and by purchase order", async () => {
    await signedIn();
    const search = async (text: string) => {
      await page.getByLabel("Search").fill(text);
      await page.getByRole("button", { name: "Apply" }).click();
      await page.waitForURL(/q=/);
      return page.locator("#shipments td.name .sub").allInnerTexts();
    };
    assert.deepEqual(await search("CSNU7182041"), ["#2714306"]);
    assert.deepEqual(await search("nkl-24-0917"), ["#2742917"], "a PO the name does not contain");
    if (corpus) {
      assert.deepEqual(await search("CMAU2376748"), ["#1988514"]);
      assert.deepEqual(await search("PO-24018"), ["#1988514"]);
      assert.deepEqual(await search("CMDUSHA9648926"), ["#1988514"], "a master bill of lading");
    }
    await page.getByLabel("Search").fill("no such thing");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByText("No shipment matches").waitFor();
  });

  it("a shipment page shows the milestones in order and the ETA history's first, latest and actual", async () => {
    await signedIn();
    await page.goto(ui("/shipments/2742917"));
    const labels = await page.locator("#timeline .milestone").allInnerTexts();
    assert.deepEqual(labels, [
      "Booking confirmed",
      "Container loaded on board",
      "Weather delay",
      "Estimated arrival updated",
    ]);
    const arrival = page.locator('[data-eta-kind="arrival"]');
    assert.equal(await arrival.locator('[data-field="first"]').innerText(), "2024-10-24 06:00 (UTC+02:00)");
    assert.equal(await arrival.locator('[data-field="latest"]').innerText(), "2024-10-28 14:00 (UTC+01:00)");
    assert.equal(await arrival.locator('[data-field="actual"]').innerText(), "—");
    assert.equal(await arrival.locator('[data-field="slip"]').innerText(), "+4 d 9 h");
    assert.equal(await page.locator("#eta-table-arrival tbody tr").count(), 2);
    await page.locator("[data-chart-for='eta-table-arrival'] canvas").waitFor();
    assert.deepEqual(cspErrors, []);

    await page.goto(ui("/shipments/2714306"));
    const delivered = page.locator('[data-eta-kind="arrival"]');
    assert.equal(await delivered.locator('[data-field="first"]').innerText(), "2024-09-28 06:00 (UTC-07:00)");
    assert.equal(
      await delivered.locator('[data-field="latest"]').innerText(),
      "2024-09-28 06:00 (UTC-07:00)",
    );
    assert.equal(
      await delivered.locator('[data-field="actual"]').innerText(),
      "2024-09-28 07:17 (UTC-07:00)",
    );
    assert.equal(await delivered.locator('[data-field="slip"]').innerText(), "+1 h 17 min");
    if (corpus) {
      await page.goto(ui("/shipments/1988514"));
      const expectedOrder = corpus.entries
        .filter((e) => e.shipment_id === 1988514)
        .sort((a, b) => String(a.occurred_at).localeCompare(String(b.occurred_at)))
        .map((e) => e.id_str);
      const order = await page.locator("#timeline li .link a").allInnerTexts();
      assert.deepEqual(
        order.map((t) => t.replace("event ", "")),
        expectedOrder,
      );
      const a = page.locator('[data-eta-kind="arrival"]');
      assert.equal(await a.locator('[data-field="first"]').innerText(), "2024-02-11 12:00 (UTC-08:00)");
      assert.equal(await a.locator('[data-field="latest"]').innerText(), "2024-02-13 22:00 (UTC-08:00)");
      assert.equal(await a.locator('[data-field="actual"]').innerText(), "2024-02-13 20:37 (UTC-08:00)");
      assert.equal(await a.locator('[data-field="slip"]').innerText(), "+2 d 8 h");
    }
    await accessible("shipment");
    await shot("shipment");
    await page.setViewportSize({ width: 390, height: 844 });
    await shot("shipment-phone");
    await page.goto(ui("/"));
    await shot("board-phone");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("the inspector's download is byte-identical to what was sent", async () => {
    await signedIn();
    const id = corpus ? "4854340" : "7185619";
    await page.goto(ui(`/events/${id}`));
    assert.match(await page.locator("h1").innerText(), new RegExp(`Event ${id}`));
    assert.match(await page.locator(".facts").innerText(), /HMAC-SHA256/);
    assert.match(await page.locator(".facts").innerText(), /Source\s+default \(freight webhooks\)/);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download the exact bytes received" }).click(),
    ]);
    const saved = readFileSync((await download.path()) ?? "");
    assert.ok(saved.equals(sent.get(id) ?? Buffer.alloc(0)), "downloaded bytes equal the sent bytes");
    assert.deepEqual(cspErrors, []);
    await accessible("event");
    await shot("event");
  });

  it("a shipment name with HTML and script is shown as text and runs nothing", async () => {
    await signedIn();
    await page.goto(ui(`/?q=${HOSTILE_ID}`));
    assert.equal(await page.locator("#shipments td.name a").innerText(), HOSTILE_NAME);
    await page.locator("#shipments td.name a").click();
    await page.waitForURL(/shipments\/2999001/);
    assert.equal(await page.locator("h1").innerText(), HOSTILE_NAME);
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator("main img, main script").count(), 0);
    assert.equal(await page.title(), `${HOSTILE_NAME} · portcall`);
  });

  it("health shows a quarantined body sent during the test, viewable and downloadable", async () => {
    const body = Buffer.from('{"note":"signed, but not an event <b>bold</b>"}');
    const answer = await signAndPost(serve.webhookUrl, body, SECRET);
    assert.equal(answer.status, 400);
    await signedIn();
    await page.goto(ui("/health"));
    const row = page.locator("#rejects tbody tr", { hasText: "invalid_event" });
    assert.equal(await row.count(), 1);
    assert.equal(await row.locator("td").nth(1).innerText(), "default", "the source it was sent to");
    assert.match(await page.locator(".tiles").innerText(), /Ready/);
    assert.match(await page.locator("#deliveries-table tfoot").innerText(), /Total/);
    await page.locator("[data-chart-for='deliveries-table'] canvas").waitFor();
    await accessible("health");
    await shot("health");
    await row.getByRole("link", { name: /^View body/ }).click();
    assert.match(await page.locator(".facts").innerText(), /Sent to source\s+default/);
    assert.match(await page.locator("pre.payload").innerText(), /signed, but not an event <b>bold<\/b>/);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download the exact bytes received" }).click(),
    ]);
    assert.ok(readFileSync((await download.path()) ?? "").equals(body));
    assert.deepEqual(cspErrors, []);
  });

  it("keyboard: Tab reaches the skip link first, then the navigation", async () => {
    await signedIn();
    const focused = () => page.evaluate("document.activeElement && document.activeElement.textContent");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "Skip to content");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "portcall");
  });

  it("sign out: a POST with the session's CSRF token; without it → 403", async () => {
    await signedIn();
    const cookies = await browser.cookies();
    const session = cookies.find((c) => c.name === "portcall_session")?.value ?? "";
    const forged = await fetch(ui("/sign-out"), {
      method: "POST",
      headers: { cookie: `portcall_session=${session}`, "content-type": "application/x-www-form-urlencoded" },
      body: "csrf=forged",
    });
    assert.equal(forged.status, 403);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/ui\/sign-in/);
    await page.goto(ui("/health"));
    assert.match(page.url(), /\/ui\/sign-in/);
    assert.ok(serve.logs.some((l) => l.includes('"dashboard sign-out"') && l.includes("signed_out")));
    assert.ok(!serve.logs.some((l) => l.includes(password)), "the password is never logged");
  });
});
