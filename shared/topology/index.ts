/** Public entry of the mesh topology: its format, loading and validation. */

export { isLoopbackHost } from "../loopback.ts";
export {
  checkTopologyDocument,
  loadTopology,
  type TopologyLoadResult,
  type TopologySource,
} from "./load.ts";
export {
  Broker,
  ClientListener,
  Cloud,
  DEFAULT_LISTEN_HOST,
  Environment,
  Link,
  type Listener,
  MAX_INTERIOR_ROUTERS,
  PathOrSecret,
  Router,
  RouterFlavour,
  RouterListener,
  SaslMechanism,
  SecretRef,
  TlsProfile,
  Topology,
  type TopologyInput,
} from "./schema.ts";
export { validateTopology } from "./validate.ts";
