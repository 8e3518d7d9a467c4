/**
 * The upstream router images the infra programs deploy (overridable per stack).
 * skupper-router publishes `quay.io/skupper/skupper-router`; Apache publishes no qdrouterd
 * image, the community one the Interconnect operator used is `quay.io/interconnectedcloud/qdrouterd`
 * (its 1.19.0 tag is assumed, not verified here). Local runs use images built here from the
 * routers built on the machine instead (infra/containers/).
 */
import type { RouterFlavour } from "../router-vocabulary/index.ts";

export const ROUTER_IMAGES: Record<RouterFlavour, string> = {
  "qpid-dispatch": "quay.io/interconnectedcloud/qdrouterd:1.19.0",
  "skupper-router": "quay.io/skupper/skupper-router:3.5.1",
};
