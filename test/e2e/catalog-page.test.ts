/**
 * The catalog page in a real headless browser (Debian's chromium through playwright-core):
 * opened from disk with every network request refused, it lists the example's channels,
 * search filters them, a channel shows its schema, an example message the schema accepts,
 * its producers and consumers. A screenshot goes to test/artifacts/.
 * Outside CI a missing chromium skips this file with the reason; under CI=true it fails.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG_PAGE, catalogFiles, writeCatalog } from "../../shared/catalog/index.ts";
import { EXAMPLES_DIR, loadProject, REPO_ROOT } from "../unit/catalog/helpers.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const found = existsSync(CHROMIUM);
if (!found && process.env.CI)
  throw new Error(
    `chromium is required at ${CHROMIUM} (or CHROMIUM_PATH) for the catalog page test; install it with \`apt-get install -y chromium\` (.ci/run does)`,
  );

const project = await loadProject(EXAMPLES_DIR);
const ARTIFACTS = join(REPO_ROOT, "test/artifacts");

describe.skipIf(!found)(`catalog page in chromium (${found ? CHROMIUM : `no ${CHROMIUM}`})`, () => {
  let browser: Browser;
  let page: Page;
  let out: string;
  const outside: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "amqp-mesh-catalog-page-"));
    await writeCatalog(catalogFiles(project.registry, project.topology), out);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // No network at run time: anything but the file itself is refused and remembered.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:")) return route.continue();
      outside.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(pathToFileURL(join(out, CATALOG_PAGE)).href);
  });

  afterAll(async () => {
    await browser?.close();
    if (out) await rm(out, { recursive: true, force: true });
  });

  const listed = () =>
    page
      .locator("button.channel")
      .evaluateAll((buttons) => buttons.map((b) => b.getAttribute("data-address")));

  it("lists every channel of the example, by team, without a request off the file", async () => {
    expect((await listed()).sort()).toEqual(project.registry.channels.map((c) => c.address).sort());
    const teams = await page.locator("h2.team").allTextContents();
    expect(teams.map((t) => t.split(" ")[0])).toEqual(project.registry.teams.map((t) => t.team));
    expect(outside).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it("search filters the channels", async () => {
    await page.fill("#search", "tracking");
    expect(await listed()).toEqual(["logistics/tracking"]);
    await page.fill("#search", "invoices");
    expect((await listed()).sort()).toEqual(["billing/invoices", "billing/invoices.dead"]);
    await page.fill("#search", "no-such-channel");
    expect(await listed()).toEqual([]);
    await page.fill("#search", "");
    expect(await listed()).toHaveLength(project.registry.channels.length);
  });

  it("a channel shows its schema, an example the schema accepts, its producers and consumers", async () => {
    const orders = project.registry.channels.find((c) => c.address === "sales/orders")!;
    await page.click('button.channel[data-address="sales/orders"]');
    await expect.poll(() => page.textContent("#detail-address")).toBe("sales/orders");
    const schema = JSON.parse((await page.textContent("#schema"))!);
    expect(schema).toEqual(orders.payloadSchema);
    const example = JSON.parse((await page.textContent("#example"))!);
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validate(orders.payloadSchema!, example), JSON.stringify(ajv.errors)).toBe(true);
    const names = (id: string) => page.locator(`#${id} li code`).allTextContents();
    expect(await names("producers")).toEqual(orders.producers);
    expect(await names("consumers")).toEqual(orders.consumers);
    const connect = await page.textContent("#connect");
    for (const env of project.topology.environments) expect(connect).toContain(env.name);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "catalog-page.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
