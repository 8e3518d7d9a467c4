import type {
  Broker,
  Listener,
  PathOrSecret,
  Router,
  TlsProfile,
  Topology,
} from "../topology/index.ts";
import type { DiagnosticSink } from "./diagnostic-sink.ts";
import type { EntityAttributes, RouterEntity } from "./model.ts";
import { generatedName, secretFilePath } from "./names.ts";

/** qdrouterd's and skupper-router's own default; written out so the file says what runs. */
export const DEFAULT_WORKER_THREADS = 4;

/** The Cyrus SASL config a router reads: `<saslConfigDir>/<SASL_CONFIG_NAME>.conf`. */
export const SASL_CONFIG_NAME = "amqp-mesh";

/**
 * The vhost an interior's edge listener puts edge routers in (listener `policyVhost`).
 * qdrouterd 1.19 and skupper-router 3.5 apply vhost policy to every incoming connection
 * but inter-router ones (policy.c qd_policy_amqp_open), edge connections included.
 */
export const ROUTERS_VHOST = "amqp-mesh-routers";

export function routerEntity(
  router: Router,
  topology: Topology,
  workerThreads: number,
): RouterEntity {
  const attributes: EntityAttributes = { id: router.id, mode: router.mode, workerThreads };
  // saslConfigDir + saslConfigName select the Cyrus SASL config that points at the user db.
  if (topology.sasl.configDir !== undefined) {
    attributes.saslConfigDir = topology.sasl.configDir;
    attributes.saslConfigName = SASL_CONFIG_NAME;
  }
  return { type: "router", attributes };
}

/**
 * The Cyrus SASL config (`amqp-mesh.conf` in `sasl.configDir`) that makes the routers check
 * PLAIN passwords against the sasldb `sasl.database`. Cyrus looks users up in the realm of
 * the router's host name; `saslpasswd2` defaults to the same realm, so the database is
 * best made on the router's host (`saslpasswd2 -c -f <database> <user>`).
 */
export function renderSaslConfig(sasl: Topology["sasl"]): string | undefined {
  if (sasl.configDir === undefined) return undefined;
  const lines = [
    "# amqp-mesh Cyrus SASL config; generated, do not edit",
    "mech_list: EXTERNAL PLAIN",
  ];
  if (sasl.database !== undefined) {
    lines.push(
      "pwcheck_method: auxprop",
      "auxprop_plugin: sasldb",
      `sasldb_path: ${sasl.database}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function listenerEntity(
  name: string,
  role: "normal" | "inter-router" | "edge",
  listener: Listener,
): RouterEntity {
  const attributes: EntityAttributes = {
    name,
    host: listener.host,
    // The schema types port as a string (it may be a service name); management returns it so.
    port: String(listener.port),
    role,
    saslMechanisms: listener.saslMechanisms.join(" "),
    authenticatePeer: listener.authenticatePeer,
  };
  if (listener.tlsProfile !== undefined) {
    attributes.sslProfile = generatedName.sslProfile(listener.tlsProfile);
    attributes.requireSsl = true;
  }
  if (role === "edge") attributes.policyVhost = ROUTERS_VHOST;
  return { type: "listener", attributes };
}

export function listenerEntities(router: Router, sink: DiagnosticSink, index: number) {
  const entities = [
    listenerEntity(generatedName.listener("clients"), "normal", router.listeners.clients),
  ];
  const { interRouter, edge } = router.listeners;
  if (router.mode === "interior") {
    if (interRouter !== undefined)
      entities.push(
        listenerEntity(generatedName.listener("inter-router"), "inter-router", interRouter),
      );
    if (edge !== undefined)
      entities.push(listenerEntity(generatedName.listener("edge"), "edge", edge));
  } else if (interRouter !== undefined || edge !== undefined) {
    sink.topology(
      "warning",
      "router-config/edge-listener-ignored",
      ["routers", index, "listeners"],
      `edge router '${router.id}' declares inter-router or edge listeners; an edge router cannot accept router connections, so they are left out`,
      "Remove listeners.interRouter and listeners.edge from edge routers.",
    );
  }
  return entities;
}

/** SASL settings of a router-to-router connector, from what the target listener asks for. */
function routerConnectorSasl(
  target: Listener,
  sslProfile: string | undefined,
): EntityAttributes | undefined {
  if (!target.authenticatePeer) return {};
  // Routers authenticate each other by certificate (mTLS); no password lives in the config.
  if (sslProfile !== undefined && target.saslMechanisms.includes("EXTERNAL"))
    return { saslMechanisms: "EXTERNAL" };
  return undefined;
}

export function connectorEntities(
  router: Router,
  topology: Topology,
  sink: DiagnosticSink,
): RouterEntity[] {
  const entities: RouterEntity[] = [];
  const routerIndex = topology.routers.indexOf(router);
  topology.links.forEach((link, linkIndex) => {
    if (link.from !== router.id) return;
    const target = topology.routers.find((r) => r.id === link.to);
    const listener = target?.listeners.interRouter;
    if (target === undefined || listener === undefined || target.mode !== "interior") {
      sink.topology(
        "error",
        "router-config/link-target",
        ["links", linkIndex, "to"],
        `link from '${link.from}' to '${link.to}': the target is not an interior router with an inter-router listener`,
        "Point the link at an interior router that has listeners.interRouter.",
      );
      return;
    }
    const tls = link.tlsProfile ?? listener.tlsProfile;
    const sslProfile = tls === undefined ? undefined : generatedName.sslProfile(tls);
    const sasl = routerConnectorSasl(listener, sslProfile);
    if (sasl === undefined) {
      sink.topology(
        "warning",
        "router-config/connector-credentials",
        ["links", linkIndex],
        `'${target.id}' authenticates inter-router peers but the link from '${router.id}' has no TLS profile with EXTERNAL to authenticate with`,
        "Give the link (or the target's interRouter listener) a tlsProfile and offer EXTERNAL.",
      );
    }
    entities.push({
      type: "connector",
      attributes: {
        name: generatedName.interRouterConnector(target.id),
        host: target.host,
        port: String(listener.port),
        role: "inter-router",
        cost: link.cost,
        ...(sslProfile === undefined ? {} : { sslProfile }),
        ...(sasl ?? {}),
      },
    });
  });
  if (router.mode === "edge") {
    router.uplinks.forEach((uplink, uplinkIndex) => {
      const target = topology.routers.find((r) => r.id === uplink);
      const listener = target?.listeners.edge;
      if (target === undefined || listener === undefined || target.mode !== "interior") {
        sink.topology(
          "error",
          "router-config/uplink-target",
          ["routers", routerIndex, "uplinks", uplinkIndex],
          `edge router '${router.id}' uplink '${uplink}' is not an interior router with an edge listener`,
          "Name an interior router that has listeners.edge.",
        );
        return;
      }
      const sslProfile =
        listener.tlsProfile === undefined
          ? undefined
          : generatedName.sslProfile(listener.tlsProfile);
      entities.push({
        type: "connector",
        attributes: {
          name: generatedName.edgeUplink(target.id),
          host: target.host,
          port: String(listener.port),
          role: "edge",
          ...(sslProfile === undefined ? {} : { sslProfile }),
          ...(routerConnectorSasl(listener, sslProfile) ?? {}),
        },
      });
    });
  }
  for (const broker of brokersHeldBy(router, topology)) entities.push(brokerConnector(broker));
  return entities;
}

/** Brokers whose connector lives on this router: every interior of the broker's environment. */
export function brokersHeldBy(router: Router, topology: Topology): Broker[] {
  if (router.mode !== "interior") return [];
  return topology.brokers.filter((b) => b.environment === router.environment);
}

function brokerConnector(broker: Broker): RouterEntity {
  const attributes: EntityAttributes = {
    name: generatedName.brokerConnector(broker.name),
    host: broker.host,
    port: String(broker.port),
    role: "route-container",
  };
  if (broker.tlsProfile !== undefined)
    attributes.sslProfile = generatedName.sslProfile(broker.tlsProfile);
  if (broker.sasl !== undefined) {
    attributes.saslMechanisms = broker.sasl.mechanism;
    attributes.saslUsername = broker.sasl.username;
    attributes.saslPassword = routerSecretText(broker.sasl.password.secretRef);
  }
  return { type: "connector", attributes };
}

/**
 * How the router reads a secret given as text: `env:NAME` reads an environment variable
 * (skrouter.json sslProfile.password / connector.saslPassword); any other store must be
 * materialised as a file by the deployment and is read with `file:`.
 */
function routerSecretText(secretRef: string): string {
  if (secretRef.startsWith("env:")) return secretRef;
  const file = secretRef.replace(/[^A-Za-z0-9._-]+/g, "_");
  return `file:/run/secrets/amqp-mesh/${file}`;
}

function profilePath(profile: string, field: string, value: PathOrSecret): string {
  return typeof value === "string" ? value : secretFilePath(profile, field);
}

function sslProfileEntity(profile: TlsProfile): RouterEntity {
  const attributes: EntityAttributes = {
    name: generatedName.sslProfile(profile.name),
    caCertFile: profilePath(profile.name, "ca", profile.caCert),
  };
  if (profile.cert !== undefined)
    attributes.certFile = profilePath(profile.name, "cert", profile.cert);
  if (profile.key !== undefined)
    attributes.privateKeyFile = profilePath(profile.name, "key", profile.key);
  if (profile.password !== undefined)
    attributes.password = routerSecretText(profile.password.secretRef);
  // A peer authenticated by certificate (EXTERNAL) is the certificate's common name: a
  // router's id, or a registry principal.
  attributes.uidFormat = "n";
  return { type: "sslProfile", attributes };
}

/** The sslProfiles the given listeners and connectors reference, sorted by name. */
export function sslProfileEntities(
  referencing: RouterEntity[],
  topology: Topology,
  sink: DiagnosticSink,
): RouterEntity[] {
  const names = new Set<string>();
  for (const entity of referencing) {
    const profile = entity.attributes.sslProfile;
    if (typeof profile === "string") names.add(profile);
  }
  const entities: RouterEntity[] = [];
  for (const name of [...names].sort()) {
    const profile = topology.tlsProfiles.find((p) => generatedName.sslProfile(p.name) === name);
    if (profile === undefined) {
      sink.topology(
        "error",
        "router-config/unknown-tls-profile",
        ["tlsProfiles"],
        `TLS profile '${name.slice(generatedName.sslProfile("").length)}' is referenced but not defined`,
        "Add it to tlsProfiles or fix the reference.",
      );
      continue;
    }
    entities.push(sslProfileEntity(profile));
  }
  return entities;
}
