/**
 * Attribute names the routers' own management schemas accept when an entity is created (a
 * config-file section is created at start-up), written out here so that the test does not
 * take its oracle from the generator's code. Copied by hand from the `"create": true`
 * attributes (plus `name`) of qpid-dispatch 1.19.0
 * `python/qpid_dispatch/management/qdrouter.json` and skupper-router 3.5.1
 * `python/skupper_router/management/skrouter.json`, each type with the attributes it
 * inherits from `configurationEntity`; deprecated ones left out. Group settings are the
 * attributes of `vhostUserGroupSettings` (policy_local.py reads them, not the schema's
 * create check).
 */
import type { RouterFlavour } from "../../../shared/topology/index.ts";

const words = (text: string): ReadonlySet<string> => new Set(text.trim().split(/\s+/));

const QDROUTERD_1_19: Record<string, ReadonlySet<string>> = {
  router: words(`name id mode helloIntervalSeconds helloMaxAgeSeconds raIntervalSeconds
    raIntervalFluxSeconds remoteLsMaxAgeSeconds workerThreads debugDumpFile saslConfigDir
    saslConfigName allowResumableLinkRoute timestampsInUTC timestampFormat defaultDistribution
    metadata`),
  sslProfile: words(`name ciphers protocols caCertFile certFile privateKeyFile password uidFormat
    uidNameMappingFile`),
  listener: words(`name host port socketAddressFamily role cost sslProfile saslMechanisms
    authenticatePeer saslPlugin requireEncryption requireSsl maxFrameSize maxSessions
    maxSessionFrames idleTimeoutSeconds initialHandshakeTimeoutSeconds stripAnnotations
    linkCapacity multiTenant failoverUrls healthz metrics websockets http httpRootDir
    messageLoggingComponents policyVhost openProperties`),
  connector: words(`name host port protocolFamily role cost sslProfile saslMechanisms allowRedirect
    maxFrameSize maxSessions maxSessionFrames idleTimeoutSeconds stripAnnotations linkCapacity
    verifyHostname saslUsername saslPassword messageLoggingComponents policyVhost openProperties`),
  policy: words(`name maxConnections maxMessageSize enableVhostPolicy enableVhostNamePatterns
    policyDir defaultVhost`),
  vhost: words(`name hostname aliases maxConnections maxConnectionsPerUser maxConnectionsPerHost
    allowUnknownUser groups`),
  address: words(`name prefix pattern distribution waypoint ingressPhase egressPhase priority
    enableFallback`),
  linkRoute: words(`name prefix pattern addExternalPrefix delExternalPrefix containerId connection
    distribution direction`),
  autoLink: words("name address direction phase containerId connection externalAddress fallback"),
};

const SKUPPER_ROUTER_3_5: Record<string, ReadonlySet<string>> = {
  router: words(`name id mode helloIntervalSeconds helloMaxAgeSeconds raIntervalSeconds
    raIntervalFluxSeconds remoteLsMaxAgeSeconds unreachableHoldoffSeconds workerThreads
    debugDumpFile saslConfigDir saslConfigName timestampsInUTC timestampFormat
    defaultDistribution metadata dataConnectionCount dropTcpConnections`),
  sslProfile: words(`name ciphers protocols caCertFile certFile privateKeyFile password uidFormat
    uidNameMappingFile ordinal oldestValidOrdinal`),
  listener: words(`name host port socketAddressFamily role cost sslProfile saslMechanisms
    authenticatePeer requireEncryption requireSsl maxFrameSize maxSessions maxSessionFrames
    idleTimeoutSeconds initialHandshakeTimeoutSeconds stripAnnotations linkCapacity failoverUrls
    healthz metrics websockets http httpRootDir messageLoggingComponents policyVhost
    openProperties`),
  connector: words(`name host port socketAddressFamily role cost sslProfile proxyProfile
    saslMechanisms allowRedirect maxFrameSize maxSessions maxSessionFrames idleTimeoutSeconds
    stripAnnotations linkCapacity verifyHostname saslUsername saslPassword
    messageLoggingComponents policyVhost openProperties`),
  policy: words(`name maxConnections maxMessageSize enableVhostPolicy enableVhostNamePatterns
    policyDir defaultVhost`),
  vhost: words(`name hostname aliases maxConnections maxConnectionsPerUser maxConnectionsPerHost
    allowUnknownUser groups`),
  address: words("name prefix pattern distribution priority"),
  // skrouter.json has no linkRoute type.
  autoLink: words("name address direction containerId connection externalAddress"),
};

/** Creatable attributes per config section (short names) and flavour; absent = no such section. */
export const SCHEMA_ATTRIBUTES: Record<RouterFlavour, Record<string, ReadonlySet<string>>> = {
  "qpid-dispatch": QDROUTERD_1_19,
  "skupper-router": SKUPPER_ROUTER_3_5,
};

/** vhostUserGroupSettings attributes, per flavour. */
export const SCHEMA_GROUP_SETTINGS: Record<RouterFlavour, ReadonlySet<string>> = {
  "qpid-dispatch": words(`users remoteHosts maxConnectionsPerUser maxConnectionsPerHost
    maxMessageSize maxFrameSize maxSessionWindow maxSessions maxSenders maxReceivers
    allowDynamicSource allowAnonymousSender allowUserIdProxy allowWaypointLinks
    allowDynamicLinkRoutes allowAdminStatusUpdate allowFallbackLinks sources targets
    sourcePattern targetPattern`),
  "skupper-router": words(`users remoteHosts maxConnectionsPerUser maxConnectionsPerHost
    maxMessageSize maxFrameSize maxSessionWindow maxSessions maxSenders maxReceivers
    allowDynamicSource allowAnonymousSender allowUserIdProxy allowAdminStatusUpdate sources
    targets sourcePattern targetPattern`),
};
