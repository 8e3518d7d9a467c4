/** The per-stack settings of the infra programs (Pulumi stack config `amqp-mesh:*`), checked with zod. */
import { z } from "zod";

const Cidr = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "an IPv4 CIDR such as 203.0.113.0/24");

/** An image reference pinned by digest, or by a tag other than `latest`. */
export const ImageReference = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9.:-]*[a-z0-9])?(\/[a-z0-9._-]+)+(:(?!latest$)[A-Za-z0-9._-]{1,128}|@sha256:[0-9a-f]{64})$/,
    "an image reference pinned by digest (…@sha256:<64 hex>) or by a tag other than latest",
  );

export const StackSettings = z
  .object({
    /** The project folder (topology.yaml, registry/), relative to infra/. */
    project: z.string().min(1).default("../examples"),
    /** The topology environment this stack deploys; default: the stack's name. */
    environment: z.string().optional(),
    /** Where `npm run bundle` wrote the functions, relative to infra/. */
    bundles: z.string().min(1).default("../dist/functions"),
    /**
     * The images, pinned (a digest, or a tag other than `latest`): the router image of the
     * topology's flavour is required (no upstream image is verified here: infra/README.md,
     * "Router images"); `bridge` for the trigger bridges.
     */
    images: z
      .object({
        "qpid-dispatch": ImageReference.optional(),
        "skupper-router": ImageReference.optional(),
        bridge: ImageReference.optional(),
      })
      .strict()
      .default({}),
    logRetentionDays: z.number().int().min(1).default(30),
    /** The other clouds' egress ranges: the only sources of inter-router connections from outside. */
    peerEgressCidrs: z.array(Cidr).default([]),
    /** Router id → host name of another environment's interior (else read from its stack). */
    peerEndpoints: z.record(z.string(), z.string().min(1)).default({}),
    /** `<org>/<project>/` of the other environments' stacks, for StackReference. */
    peerStackPrefix: z.string().optional(),
    /** Broker name → host reachable from this environment's routers. */
    brokerHosts: z.record(z.string(), z.string().min(1)).default({}),
    /** The login config-sync manages the routers with (in every router's $management policy). */
    managementPrincipal: z.string().min(1).default("config-sync"),
    /** Writable folder in the router container for its config, certificates and SASL files. */
    runDir: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]+$/, "an absolute path")
      .default("/tmp/amqp-mesh"),
    /** The registry's prefix in the bucket / container (empty: at its root). */
    registryPrefix: z
      .string()
      .regex(/^([A-Za-z0-9._-]+\/)*$/, "empty, or path segments each ending with /")
      .default(""),
    routerCpu: z.number().int().default(512),
    routerMemory: z.number().int().default(1024),
    /**
     * The team triggers this stack deploys in bridge mode: the definition module (relative to
     * infra/; its default export made by defineChannelHandler) and the principal its bridge
     * consumes as. Each gets its function (AWS: the bundle of its name; Azure: its `app`) and
     * a bridge next to the edge routers invoking it.
     */
    triggers: z
      .array(
        z
          .object({
            definition: z.string().min(1),
            principal: z.string().min(1),
            /**
             * Azure: the Function App (the bundle `<bundles>/azure/<app>`) that registers this
             * trigger's HTTP function; triggers of one app share it. Default: the trigger's name.
             * AWS deploys each trigger as a Lambda of its own and ignores it.
             */
            app: z
              .string()
              .regex(
                /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
                "a bundle name: lower-case letters, digits, '-'",
              )
              .refine((name) => !["ingress", "sync", "config-sync"].includes(name), {
                message: "the platform's own app: choose the team's bundle",
              })
              .optional(),
          })
          .strict(),
      )
      .default([]),
    /** Optional JWT authorizer of the HTTP API (AWS) / the ingress's JWT settings (Azure). */
    jwt: z
      .object({ issuer: z.string().url(), audience: z.array(z.string().min(1)).min(1) })
      .strict()
      .optional(),
    aws: z
      .object({
        vpcCidr: Cidr.default("10.40.0.0/16"),
        /** Use an existing VPC: its id and two private (and, for the external NLB, two public) subnets. */
        vpcId: z.string().optional(),
        privateSubnetIds: z.array(z.string()).min(2).optional(),
        publicSubnetIds: z.array(z.string()).min(2).optional(),
        /** Two zones; default `<region>a`, `<region>b`. */
        availabilityZones: z.array(z.string()).length(2).optional(),
        syncSchedule: z.string().default("rate(5 minutes)"),
      })
      .strict()
      .default({ vpcCidr: "10.40.0.0/16", syncSchedule: "rate(5 minutes)" }),
    azure: z
      .object({
        vnetCidr: Cidr.default("10.50.0.0/16"),
        /** NCRONTAB of the drift timer. */
        syncSchedule: z.string().default("0 */5 * * * *"),
        /**
         * The Azure Container Registry the images are pulled from, by resource id: the
         * Container Apps pull an image on its server (`<name>.azurecr.io`) with their
         * identities, which hold AcrPull on exactly this registry.
         */
        containerRegistry: z
          .string()
          .regex(
            /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerRegistry\/registries\/[A-Za-z0-9]{5,50}$/,
            "a registry's resource id: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>",
          )
          .optional(),
      })
      .strict()
      .default({ vnetCidr: "10.50.0.0/16", syncSchedule: "0 */5 * * * *" }),
  })
  .strict();
export type StackSettings = z.infer<typeof StackSettings>;
export type StackSettingsInput = z.input<typeof StackSettings>;

/** Settings from a stack's config object; a wrong key or value says which and why. */
export function parseStackSettings(raw: unknown, where: string): StackSettings {
  const parsed = StackSettings.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `  amqp-mesh:${issue.path.join(".") || "(root)"}: ${issue.message}`,
  );
  throw new Error(`${where}: invalid stack settings\n${problems.join("\n")}`);
}
