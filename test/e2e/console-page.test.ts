/**
 * The mesh console in a real headless browser (Debian's chromium through playwright-core),
 * on the example mesh started from its generated configs (a copy on reserved ports; the emulator,
 * or real routers with MESH_TARGET): the page
 * shows the 8 routers and 7 channels, a burst of 1,000 messages shows in the channel's
 * counts and rate, a router stopped turns red within 5 s (the issue's bound) and green again
 * once it runs. Every request the page makes stays on the console's own origin. The console
 * asks for its run's token: a browser without it gets 401; the printed URL trades it for a
 * cookie and leaves the address bar without it. A broker channel's depth that cannot be read
 * says why. The catalog it links to lists the channels. Screenshots go to
 * test/artifacts/console-page*.png.
 * Outside CI a missing chromium skips this file with the reason; under CI=true it fails.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningConsole, startConsole } from "../../cli/console/server.ts";
import { SYNC_PRINCIPAL } from "../../cli/local/platform.ts";
import { desiredConfigsOf } from "../../cli/observe-project.ts";
import { MeshClient } from "../../shared/amqp/index.ts";
import { validateProject } from "../../shared/registry/index.ts";
import {
  copyProject,
  type Engine,
  type GeneratedRouters,
  type ProjectCopy,
  startGeneratedRouters,
} from "../support/generated-routers.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const found = existsSync(CHROMIUM);
if (!found && process.env.CI)
  throw new Error(
    `chromium is required at ${CHROMIUM} (or CHROMIUM_PATH) for the console page test; install it with \`apt-get install -y chromium\` (.ci/run does)`,
  );
const ARTIFACTS = join(import.meta.dirname, "../artifacts");
/** The emulator, or real routers with MESH_TARGET={"engine": "qdrouterd" | "skrouterd"}. */
const engine: Engine = process.env.MESH_TARGET
  ? ((JSON.parse(readFileSync(process.env.MESH_TARGET, "utf8")) as { engine?: Engine }).engine ??
    "emulator")
  : "emulator";

/** The page's DOM as the predicates below read it (they run in the browser). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
  getElementById(id: string): { textContent: string | null } | null;
};

describe.skipIf(!found)(
  `mesh console in chromium (${found ? CHROMIUM : `no ${CHROMIUM}`}, ${engine})`,
  () => {
    let project: ProjectCopy;
    let routers: GeneratedRouters;
    let meshConsole: RunningConsole;
    let browser: Browser;
    let page: Page;
    const users = new Map<string, string>();
    const outside: string[] = [];
    const pageErrors: string[] = [];
    const clients: MeshClient[] = [];
    let channelAddresses: string[] = [];

    beforeAll(async () => {
      project = await copyProject("examples");
      const { registry, topology } = await validateProject(project.dir);
      channelAddresses = registry!.channels.map((c) => c.address).sort();
      for (const principal of [SYNC_PRINCIPAL, "sales-api", "billing-worker"])
        users.set(principal, randomBytes(8).toString("hex"));
      routers = await startGeneratedRouters(project.dir, {
        engine,
        users,
        managementPrincipals: [SYNC_PRINCIPAL],
      });
      const observed = topology!.routers.map((r) => ({
        id: r.id,
        url: routers.url(r.id),
        sasl: {
          mechanism: "PLAIN" as const,
          username: SYNC_PRINCIPAL,
          password: users.get(SYNC_PRINCIPAL)!,
        },
      }));
      const valid = { dir: project.dir, registry: registry!, topology: topology!, diagnostics: [] };
      meshConsole = await startConsole({
        project: valid,
        routers: observed,
        desired: desiredConfigsOf(valid, observed),
        // The broker's password is not known here: the depths say so.
        secrets: () => undefined,
      });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const origin = new URL(meshConsole.url).origin;
      await context.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith(origin)) return route.continue();
        outside.push(url);
        return route.abort();
      });
      page = await context.newPage();
      page.on("pageerror", (error) => pageErrors.push(error.message));
      await page.goto(meshConsole.url);
    }, 60_000);

    afterAll(async () => {
      await mkdir(ARTIFACTS, { recursive: true });
      await page
        ?.screenshot({ path: join(ARTIFACTS, "console-page.png"), fullPage: true })
        .catch(() => undefined);
      await browser?.close();
      await Promise.all(clients.map((c) => c.close()));
      await meshConsole?.close();
      await routers?.stop();
      await project?.cleanup();
    });

    const client = (principal: string, routerId: string) => {
      const c = new MeshClient({
        urls: [routers.url(routerId)],
        sasl: { mechanism: "PLAIN", username: principal, password: users.get(principal)! },
      });
      clients.push(c);
      return c;
    };

    it("refuses a browser without the run's token; the printed URL lets it in and leaves the address bar without the token", async () => {
      const stranger = await browser.newContext();
      try {
        const other = await stranger.newPage();
        const response = await other.goto(meshConsole.origin);
        expect(response?.status()).toBe(401);
        expect(await other.textContent("body")).toContain("this console needs its token");
        const wrong = await other.goto(`${meshConsole.origin}?token=${"A".repeat(43)}`);
        expect(wrong?.status()).toBe(401);
      } finally {
        await stranger.close();
      }
      // The page opened with the printed URL: in, and the token gone from the address.
      expect(page.url()).toBe(meshConsole.origin);
      const cookies = await page.context().cookies();
      expect(cookies).toEqual([
        expect.objectContaining({
          name: `amqp-mesh-console-${new URL(meshConsole.origin).port}`,
          value: meshConsole.token,
          httpOnly: true,
          sameSite: "Strict",
        }),
      ]);
    });

    it("shows the example mesh's 8 routers, all up, by cloud and region, and its 7 channels with their owners", async () => {
      await page.waitForFunction(
        () => document.querySelectorAll('#graph .node[data-state="up"]').length === 8,
        undefined,
        {
          timeout: 15_000,
        },
      );
      const ids = await page
        .locator("#graph .node")
        .evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-router")));
      expect(ids.sort()).toEqual(routers.topology.routers.map((r) => r.id).sort());
      const regions = await page.locator("#routers tbody tr td:nth-child(2)").allTextContents();
      expect(new Set(regions)).toEqual(new Set(["aws / eu-west-1", "azure / westeurope"]));
      const channels = await page
        .locator("#channels tbody tr")
        .evaluateAll((rows) =>
          rows.map((r) => `${r.getAttribute("data-channel")} ${r.children[1]?.textContent}`),
        );
      expect(channels).toEqual([
        "billing/invoices billing",
        "billing/invoices.dead billing",
        "logistics/shipments logistics",
        "logistics/tracking logistics",
        "sales/events sales",
        "sales/orders sales",
        "sales/orders.dead sales",
      ]);
      // Links with their costs, all up; no drift on routers started from the generated configs.
      await page.waitForFunction(
        () => document.querySelectorAll('#graph .link[data-state="up"]').length === 12,
      );
      expect(await page.locator("#graph .cost").allTextContents()).toEqual([
        "cost 1",
        "cost 1",
        "cost 10",
        "cost 10",
      ]);
      await page.waitForFunction(() =>
        document.getElementById("summary")?.textContent?.includes("no drift"),
      );
      expect(outside).toEqual([]);
      expect(pageErrors).toEqual([]);
    }, 30_000);

    it("says why a broker queue's depth is unknown (here: the broker's password is not set)", async () => {
      const queued = page.locator('#channels tr[data-channel="billing/invoices"] td.queued');
      await page.waitForFunction(() =>
        document
          .querySelector('#channels tr[data-channel="billing/invoices"] td.queued')
          ?.textContent?.startsWith("unknown: "),
      );
      expect(await queued.textContent()).toBe(
        "unknown: broker 'rabbit-eu' takes its password from RABBIT_PASSWORD, which is not set here",
      );
      // A dead-letter channel routed through the mesh holds no queue: no depth to show.
      expect(
        await page
          .locator('#channels tr[data-channel="billing/invoices"] td.dead-letters')
          .textContent(),
      ).toBe("billing/invoices.dead: no queue");
    });

    it("links the channel catalog of the registry it shows", async () => {
      const href = await page.locator("#catalog-link").getAttribute("href");
      const catalog = await page.context().newPage();
      catalog.on("pageerror", (error) => pageErrors.push(error.message));
      const response = await catalog.goto(new URL(href!, page.url()).href);
      expect(response?.status()).toBe(200);
      expect(catalog.url()).toBe(`${meshConsole.origin}catalog/`);
      const listed = await catalog
        .locator("button.channel")
        .evaluateAll((buttons) => buttons.map((b) => b.getAttribute("data-address")));
      expect(listed.sort()).toEqual(channelAddresses);
      await catalog.click('button.channel[data-address="sales/orders"]');
      await expect.poll(() => catalog.textContent("#detail-address")).toBe("sales/orders");
      await mkdir(ARTIFACTS, { recursive: true });
      await catalog.screenshot({ path: join(ARTIFACTS, "console-catalog.png") });
      await catalog.close();
      expect(outside).toEqual([]);
      expect(pageErrors).toEqual([]);
    });

    it("shows a burst of 1,000 messages in the channel's counts and rate, with its consumer per router", async () => {
      const row = page.locator('#channels tr[data-channel="sales/orders"]');
      let received = 0;
      const consumer = client("billing-worker", "azure-we-edge-2").consume(
        "sales/orders",
        () => {
          received++;
        },
        { prefetch: 200 },
      );
      await consumer.ready();
      await page.waitForFunction(() =>
        document
          .querySelector('#channels tr[data-channel="sales/orders"] .consumers')
          ?.textContent?.includes("azure-we-edge-2: 1"),
      );
      const producer = client("sales-api", "aws-eu-edge-1");
      let sent = 0;
      const publishAll = async () => {
        while (sent < 1000) {
          const i = sent++;
          await producer.publish("sales/orders", { body: { orderId: `o-${i}` } });
        }
      };
      // The page's highest rate while the burst runs (it is a rate: it falls back once it ends).
      const peak = page.waitForFunction(
        () =>
          Number(
            document.querySelector('#channels tr[data-channel="sales/orders"] .rate-in')
              ?.textContent,
          ) >= 100,
        undefined,
        { timeout: 20_000 },
      );
      await Promise.all(Array.from({ length: 50 }, publishAll));
      await peak;
      await page.waitForFunction(
        () =>
          Number(
            document.querySelector('#channels tr[data-channel="sales/orders"] .messages-out')
              ?.textContent,
          ) >= 1000,
        undefined,
        { timeout: 10_000 },
      );
      expect(received).toBe(1000);
      expect(Number(await row.locator(".messages-in").textContent())).toBeGreaterThanOrEqual(1000);
    }, 60_000);

    it("turns a stopped router red within 5 s, with its links down, and green again once it runs", async () => {
      await routers.stopRouter("aws-eu-interior-2");
      await page.waitForSelector(
        '#graph .node[data-router="aws-eu-interior-2"][data-state="down"]',
        {
          timeout: 5_000,
        },
      );
      await page.waitForSelector(
        '#graph .link[data-link="aws-eu-interior-2>aws-eu-interior-1"][data-state="down"]',
        {
          state: "attached",
          timeout: 5_000,
        },
      );
      await page.waitForSelector(
        '#graph .link[data-link="aws-eu-edge-2>aws-eu-interior-2"][data-state="down"]',
        {
          state: "attached",
          timeout: 5_000,
        },
      );
      expect(
        await page
          .locator('#routers tr[data-router="aws-eu-interior-2"] td.state-down')
          .textContent(),
      ).toMatch(/^down: /);
      await page
        .screenshot({ path: join(ARTIFACTS, "console-page-router-down.png") })
        .catch(async () => {
          await mkdir(ARTIFACTS, { recursive: true });
        });
      await routers.startRouter("aws-eu-interior-2");
      await page.waitForSelector('#graph .node[data-router="aws-eu-interior-2"][data-state="up"]', {
        timeout: 10_000,
      });
      await page.waitForSelector(
        '#graph .link[data-link="aws-eu-interior-2>aws-eu-interior-1"][data-state="up"]',
        {
          state: "attached",
          timeout: 10_000,
        },
      );
    }, 40_000);
  },
);
