/**
 * `node infra/containers/build.ts base|bridge|qdrouterd|skrouterd [--project <dir>]`: builds
 * one local image with podman (see images.ts). The router images copy the router build that
 * already exists on this machine (the `qdrouterd`/`skrouterd` on PATH) into the image; this
 * script builds no router.
 */
import { parseArgs } from "node:util";
import {
  buildBridgeImage,
  buildRouterImage,
  ensureBaseImage,
  type RouterProduct,
} from "./images.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { project: { type: "string" } },
});
const what = positionals[0];
const log = (line: string) => console.log(line);
const started = performance.now();
try {
  let tag: string;
  if (what === "base") tag = await ensureBaseImage(log);
  else if (what === "bridge") tag = await buildBridgeImage({ project: values.project, log });
  else if (what === "qdrouterd" || what === "skrouterd")
    tag = await buildRouterImage(what as RouterProduct, { log });
  else {
    console.error("usage: node infra/containers/build.ts base|bridge|qdrouterd|skrouterd");
    process.exit(2);
  }
  console.log(`${tag} ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(3);
}
