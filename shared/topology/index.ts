/** Public entry of the mesh topology: its format, loading and validation. */
export { loadTopology, type TopologyLoadResult, type TopologySource } from "./load.ts";
export {
  Broker,
  Cloud,
  Environment,
  Link,
  Listener,
  MAX_INTERIOR_ROUTERS,
  PathOrSecret,
  Router,
  RouterFlavour,
  SaslMechanism,
  SecretRef,
  TlsProfile,
  Topology,
  type TopologyInput,
} from "./schema.ts";
export { validateTopology } from "./validate.ts";
