/**
 * What `up` prints: config-sync's runs per cloud, a registry edit's effect, a function's
 * batch, what runs where and a curl to try it with.
 */
import { isAbsolute, join, relative } from "node:path";
import type { SyncRun } from "./cloud-sync.ts";
import type { Invocation } from "./cloud-triggers.ts";
import type { CloudTwin, RegistryUpdate } from "./cloud-twin.ts";
import { LOCAL_POLL_MS, REGISTRY_SNAPSHOT_KEY } from "./function-registries.ts";
import { type LocalPlatform, routerList } from "./platform.ts";
import { REGISTRY_BUCKET } from "./registry-stores.ts";

export function invocationLine(invocation: Invocation): string {
  return (
    `function ${invocation.trigger} (${invocation.cloud}) \u2190 ${invocation.channel}: ` +
    `${invocation.records.length} message(s), ${invocation.failed} failed, ${invocation.ms.toFixed(0)} ms`
  );
}

/** Per cloud: what config-sync did, and the writes per router. */
export function formatRuns(runs: readonly SyncRun[], label: string): string {
  const lines: string[] = [];
  for (const cloud of [...new Set(runs.map((r) => r.cloud))]) {
    const mine = runs.filter((r) => r.cloud === cloud);
    const last = mine.at(-1)?.summary;
    const operations = mine.flatMap((r) => r.operations);
    const ms = mine.reduce((sum, r) => sum + r.ms, 0);
    const byRouter = new Map<string, string[]>();
    for (const op of operations) {
      const list = byRouter.get(op.router) ?? [];
      list.push(
        `${op.operation} ${op.entityType ?? "?"} ${op.name ?? ""}${op.ok ? "" : " (failed)"}`.trim(),
      );
      byRouter.set(op.router, list);
    }
    const restartOnly = last?.totals?.restartOnly ?? 0;
    lines.push(
      `${label} ${cloud}: ${mine.length} event(s), ${last?.outcome ?? "?"}, ${last?.totals?.routers ?? 0} routers, ${operations.length} operations (${ms.toFixed(0)} ms)` +
        (restartOnly > 0
          ? `; ${restartOnly} change(s) only a restart applies (the function's log lists them)`
          : ""),
    );
    for (const [router, ops] of byRouter) {
      const counts = new Map<string, number>();
      for (const op of ops) {
        const [verb, type] = op.split(" ");
        const key = `${verb} ${type}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      lines.push(`  ${router}: ${[...counts].map(([k, n]) => `${n} ${k}`).join(", ")}`);
    }
  }
  return lines.join("\n");
}

export function formatUpdate(update: RegistryUpdate, readers?: readonly string[]): string {
  const lines = ["registry edit:"];
  if (update.uploaded !== undefined)
    lines.push(
      `  uploaded to both stores: ${update.uploaded.written.join(", ") || "nothing changed"}${update.uploaded.removed.length > 0 ? `; removed ${update.uploaded.removed.join(", ")}` : ""}`,
    );
  if (update.runs.length > 0) lines.push(formatRuns(update.runs, "  config-sync"));
  if (update.change !== undefined) {
    const c = update.change;
    lines.push(
      `  channels: ${c.added.length > 0 ? `+${c.added.join(" +")}` : "none added"}; ${c.removed.length > 0 ? `-${c.removed.join(" -")}` : "none removed"}${c.changed.length > 0 ? `; changed ${c.changed.join(", ")}` : ""}`,
      `  ingress and triggers: registry ${c.previous.slice(0, 12)} \u2192 ${c.digest.slice(0, 12)}, read from their stores${readers === undefined ? "" : ` by ${readers.join(", ")}`} (${update.ms.toFixed(0)} ms from the edit)`,
    );
  } else {
    lines.push(`  nothing changed anywhere: ${update.refused ?? "?"}`);
  }
  return lines.join("\n");
}

export function whatRunsWhere(platform: LocalPlatform, twin: CloudTwin): string {
  const { topology } = platform.project;
  const lines = ["", "what runs where:"];
  for (const environment of topology.environments) {
    lines.push(`  ${environment.cloud} (${environment.name}, ${environment.region}) routers:`);
    const ids = new Set(
      topology.routers.filter((r) => r.environment === environment.name).map((r) => r.id),
    );
    lines.push(
      routerList({
        ...platform.routers,
        routers: platform.routers.routers.filter((r) => ids.has(r.id)),
      }).replace(/^/gm, "  "),
    );
  }
  const bucket = `${twin.stores.s3.endpoint}/${REGISTRY_BUCKET}`;
  lines.push(
    `  registry stores: AWS bucket ${bucket} (S3rver); Azure container ${twin.stores.container.url} (Azurite)`,
    `  the functions' registry: ${REGISTRY_SNAPSHOT_KEY} in their cloud's store (config-sync publishes it after its gate), read by ETag every ${LOCAL_POLL_MS} ms`,
  );
  for (const sync of twin.syncs)
    lines.push(
      `  config-sync ${sync.cloud}: ${sync.cloud === "aws" ? "EventBridge Object Created \u2192 Lambda handler" : "Event Grid BlobCreated \u2192 Functions handler"} \u2192 ${sync.routerIds.join(", ")}`,
    );
  for (const ingress of twin.ingresses)
    lines.push(
      `  HTTP ingress ${ingress.cloud}: POST ${ingress.url}/channels/{channel}/messages (${ingress.cloud === "aws" ? "API Gateway v2 \u2192 Lambda handler" : "Functions HTTP handler"}; as ${ingress.login} through ${ingress.routers.join(", ")}, in failover order)`,
    );
  for (const trigger of twin.triggers)
    lines.push(
      `  function ${trigger.name} on ${trigger.channel}: ${trigger.cloud} (${trigger.environment}), bridge \u2192 ${trigger.description}, as ${trigger.login} through ${trigger.routers.join(", ")}`,
    );
  lines.push(
    `  logs of the functions: ${shownPath(twin.logDir)}/; PLAIN users: ${shownPath(platform.usersFile)}; API keys: ${shownPath(twin.keysFile)}`,
  );
  return lines.join("\n");
}

/** A curl that gets a 202 as printed, and where its effect shows. */
export function tryIt(platform: LocalPlatform, twin: CloudTwin): string {
  const aws = twin.ingresses.find((i) => i.cloud === "aws") ?? twin.ingresses[0];
  if (aws === undefined) return "";
  const orders = platform.project.registry.channels.find((c) => c.address === "sales/orders");
  const channel = orders?.address ?? platform.project.registry.channels[0]?.address ?? "";
  const body =
    orders !== undefined
      ? '{"orderId":"ord-1001","customerId":"c-7","lines":[{"sku":"sku-1","quantity":2}]}'
      : "{}";
  const keys = shownPath(twin.keysFile);
  const keyFile = keys.startsWith("/") ? keys : `./${keys}`;
  const key = `$(node -p "require('${keyFile}').keys['${aws.login}']")`;
  const lines = [
    "",
    `try it (the API key of ${aws.login}, read from ${keys}):`,
    `  curl -i ${aws.url}/channels/${encodeURIComponent(channel)}/messages -H 'content-type: application/json' -H "x-api-key: ${key}" -d '${body}'`,
    "  \u2192 HTTP/1.1 202 Accepted",
  ];
  const trigger = twin.triggers.find((t) => t.channel === channel);
  for (const notice of twin.notStarted)
    lines.push(
      `  but: ${notice.name} does not run (${notice.reason}); a function publishing to ${notice.channel} cannot, and the ingress answers 202 only once the channel's consumer settled the message (504 after its deadline)`,
    );
  if (trigger !== undefined) {
    lines.push(
      `  then: a line 'function ${trigger.name} (${trigger.cloud}) \u2190 ${channel}' here, its log in ${shownPath(twin.logDir)}/${trigger.name}.log`,
    );
    const next = twin.triggers.find((t) => t !== trigger);
    if (next !== undefined)
      lines.push(
        `  and what it publishes on ${next.channel}: 'function ${next.name} (${next.cloud}) \u2190 ${next.channel}' here, "invoice sent" in ${shownPath(twin.logDir)}/${next.name}.log`,
      );
  }
  lines.push(
    `edit a file under ${shownPath(join(twin.registryDir, "registry"))}/: up uploads it to both stores, config-sync brings the routers to it, and the ingress and triggers follow; up prints what changed`,
  );
  return lines.join("\n");
}

/** A path as the user would type it from here: relative when it is below the current folder. */
export function shownPath(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown === "" ? "." : shown.startsWith("..") || isAbsolute(shown) ? path : shown;
}
