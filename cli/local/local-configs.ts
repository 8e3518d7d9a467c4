/**
 * A generated router config, made fit to run on this machine: every listener on loopback
 * (local runs are never reachable from elsewhere), and — for real routers — the TLS files
 * and the SASL config of the local mesh in place of the deployment's paths. The entities,
 * names and policies stay as generated: what runs locally is what a deployment runs.
 */

import type { RouterConfig, RouterEntity } from "../../shared/router-config/index.ts";
import { SASL_CONFIG_NAME } from "../../shared/router-config/index.ts";
import { isLoopbackHost } from "../../shared/topology/index.ts";
import type { LocalCertificates } from "./certificates.ts";
import type { LocalSaslDatabase } from "./sasl-database.ts";

export const LOCAL_HOST = "127.0.0.1";

export interface LocalFiles {
  certificates: LocalCertificates;
  sasl: LocalSaslDatabase;
}

/** Every listener bound to loopback; the rest unchanged (what the emulator needs). */
export function onLoopback(config: RouterConfig): RouterConfig {
  return {
    ...config,
    entities: config.entities.map((entity) => {
      if (entity.type !== "listener") return entity;
      const host = String(entity.attributes.host ?? "");
      return isLoopbackHost(host)
        ? entity
        : { ...entity, attributes: { ...entity.attributes, host: LOCAL_HOST } };
    }),
  };
}

/** On loopback, with this run's certificates and SASL database (what a real router needs). */
export function withLocalFiles(config: RouterConfig, files: LocalFiles): RouterConfig {
  const own = files.certificates.routers.get(config.routerId);
  if (own === undefined) throw new Error(`no local certificate for router '${config.routerId}'`);
  const local = (entity: RouterEntity): RouterEntity => {
    const attributes = { ...entity.attributes };
    if (entity.type === "router") {
      attributes.saslConfigDir = files.sasl.configDir;
      attributes.saslConfigName = SASL_CONFIG_NAME;
    } else if (entity.type === "sslProfile") {
      attributes.caCertFile = files.certificates.caFile;
      attributes.certFile = own.certFile;
      attributes.privateKeyFile = own.keyFile;
      // The local keys have no password.
      delete attributes.password;
      delete attributes.passwordFile;
    } else {
      return entity;
    }
    return { ...entity, attributes };
  };
  const loopback = onLoopback(config);
  return { ...loopback, entities: loopback.entities.map(local) };
}
