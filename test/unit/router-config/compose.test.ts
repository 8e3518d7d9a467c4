import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  CONTAINER_CONFIG_DIR,
  configFileFor,
  generateRouterConfigs,
  NETWORK_SERVICE,
  parseConfFile,
  ROUTER_IMAGES,
  renderComposeFile,
  renderConfFile,
} from "../../../shared/router-config/index.ts";
import { loadExampleRegistry, loadExampleTopology, REPO_ROOT } from "./example-project.ts";

/*
 * infra/local/compose.yaml and the router configs it mounts (infra/local/routers/) are
 * generated from the example project and committed; UPDATE_GOLDEN=1 rewrites them.
 */
const LOCAL_DIR = join(REPO_ROOT, "infra/local");
const ROUTERS_DIR = join(LOCAL_DIR, "routers");
const topology = loadExampleTopology();
const { configs } = generateRouterConfigs(loadExampleRegistry(), topology);
const composeText = renderComposeFile(topology, configs);
const routerFiles = new Map(configs.map((c) => [`${c.routerId}.conf`, renderConfFile(c)]));

if (process.env.UPDATE_GOLDEN === "1") {
  rmSync(ROUTERS_DIR, { recursive: true, force: true });
  mkdirSync(ROUTERS_DIR, { recursive: true });
  for (const [name, text] of routerFiles) writeFileSync(join(ROUTERS_DIR, name), text);
  writeFileSync(join(LOCAL_DIR, "compose.yaml"), composeText);
}

interface ComposeService {
  image: string;
  entrypoint?: string[];
  network_mode?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
}

const compose = parse(composeText) as { services: Record<string, ComposeService> };

describe("infra/local/compose.yaml", () => {
  it("is committed and up to date, with the router configs it mounts", () => {
    expect(readFileSync(join(LOCAL_DIR, "compose.yaml"), "utf8")).toBe(composeText);
    expect(readdirSync(ROUTERS_DIR).sort()).toEqual([...routerFiles.keys()].sort());
    for (const [name, text] of routerFiles)
      expect(readFileSync(join(ROUTERS_DIR, name), "utf8")).toBe(text);
  });

  it("runs every router as a service of the flavour's image, loading its own config", () => {
    for (const config of configs) {
      const service = compose.services[config.routerId];
      expect(service).toBeDefined();
      expect(service!.image).toBe(ROUTER_IMAGES[config.flavour]);
      const mounted = `${CONTAINER_CONFIG_DIR}/${config.routerId}.conf`;
      expect(service!.volumes).toEqual([`${configFileFor(config.routerId)}:${mounted}:ro`]);
      expect(service!.entrypoint).toEqual(["qdrouterd", "--config", mounted]);
      expect(service!.network_mode).toBe(`service:${NETWORK_SERVICE}`);
    }
  });

  it("mounts config files that exist in the generated set and describe that router", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(":")[0]!;
        const path = join(LOCAL_DIR, source);
        expect(existsSync(path)).toBe(true);
        expect(parseConfFile(readFileSync(path, "utf8")).routerId).toBe(name);
      }
    }
  });

  it("publishes exactly the listener ports of the generated configs (and the broker)", () => {
    const listenerPorts = configs.flatMap((c) =>
      c.entities.filter((e) => e.type === "listener").map((e) => Number(e.attributes.port)),
    );
    const published = compose.services[NETWORK_SERVICE]!.ports!.map((p) => {
      const [host, hostPort, containerPort] = p.split(":");
      expect(host).toBe("127.0.0.1");
      expect(hostPort).toBe(containerPort);
      return Number(hostPort);
    });
    const brokerPorts = topology.brokers.map((b) => b.port);
    expect(published.sort()).toEqual([...listenerPorts, ...brokerPorts].sort());
    expect(new Set(published).size).toBe(published.length);
  });

  it("passes the env: secrets a router reads into its container", () => {
    const holder = compose.services["aws-eu-interior-1"]!;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own variable syntax
    expect(holder.environment).toEqual({ RABBIT_PASSWORD: "${RABBIT_PASSWORD}" });
    expect(compose.services["aws-eu-edge-1"]!.environment).toBeUndefined();
  });

  it("renders skupper-router with its image, binary and JSON configs", () => {
    const skupper = generateRouterConfigs(loadExampleRegistry(), topology, {
      flavour: "skupper-router",
    });
    const text = renderComposeFile(topology, skupper.configs, { format: "json" });
    const service = (parse(text) as { services: Record<string, ComposeService> }).services[
      "azure-we-edge-1"
    ]!;
    expect(service.image).toBe(ROUTER_IMAGES["skupper-router"]);
    expect(service.entrypoint).toEqual([
      "skrouterd",
      "--config",
      `${CONTAINER_CONFIG_DIR}/azure-we-edge-1.json`,
    ]);
  });
});
