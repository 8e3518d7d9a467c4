/** Thrown for a wrong command line: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE = `amqp-mesh — channel registry, router configs and the local mesh

Usage:
  amqp-mesh validate <dir> [--json]
      Validate <dir>/topology.yaml and <dir>/registry/*.yaml.
  amqp-mesh generate <dir> --out <dir> [--flavour qpid-dispatch|skupper-router] [--format conf|json|both]
                     [--management-principal <name>]...
      Write one config file per router and a summary. Each --management-principal may use
      the routers' $management (config-sync's login).
  amqp-mesh diff <old-dir> <new-dir> [--json]
      What would change per router, and breaking payload schema changes.
  amqp-mesh emulator <dir> [--out <dir>]
      Start the local router mesh of <dir>'s topology; Ctrl-C stops it.
  amqp-mesh sync <dir> --router <url>... [--dry-run] [--json] [--username <name>]
                 [--password-file <file>] [--ca <file>] [--state <file>] [--timeout <ms>]
                 [--management-principal <name>]...
      Bring live routers to <dir>'s registry over AMQP management: per router the minimal
      plan, applied (--dry-run: planned only). The principal logs in with PLAIN: --username
      or MESH_SASL_USERNAME, the password from --password-file or MESH_SASL_PASSWORD. The
      desired vhosts keep $management for the login and each --management-principal.
  amqp-mesh up [<dir>] [--engine emulator|qdrouterd|skrouterd] [--once] [--out <dir>]
      The local platform: validate, generate, start the mesh (the emulator, or real routers
      when the binary is on PATH), check a round trip.
  amqp-mesh bridge <dir> --channel <address> (--handler <module> | --lambda <function> | --azure <url>)
        [--router <id> | --url <amqp-url>] [--principal <name>] [--batch-size 10] [--max-wait-ms 100]
        [--concurrency 4] [--max-attempts 5] [--retry-delay-ms 500] [--lambda-endpoint <url>] [--region <r>]
      Run a channel's trigger function on its messages: consume from an edge router (or
      MESH_URLS), batch, invoke (in process, Lambda Invoke, or Azure over HTTP with
      AZURE_FUNCTION_KEY), settle by the answer, dead-letter after the last attempt.
  amqp-mesh catalog <dir> --out <dir>
      One AsyncAPI 3.0 document per team (<team>.asyncapi.yaml) and catalog.html, one
      page to browse the channels offline (schemas, example messages, how to connect).
  amqp-mesh types <dir> --out <file>
      TypeScript types of every channel's payload, from its schema, and the channel map
      that types defineChannelHandler<"address"> and context.publish("address", ...).
  amqp-mesh infra plan <dir> [--cloud aws|azure] [--json]
      Every resource the Pulumi programs (infra/) declare for <dir>'s cloud environments,
      one stack per environment: type, name and key properties (ports, images, subnets,
      rules), from a run under Pulumi's mocks — no Pulumi CLI, cloud or credentials.
  amqp-mesh registry push <dir> --to <s3://bucket/prefix | azblob://container/prefix | https://…blob…/container/prefix>
                          [--endpoint <url>]
      Validate <dir>, then upload topology.yaml and registry/ under the prefix (what
      config-sync reads; the store's change event starts it) and remove registry objects the
      project no longer has. An invalid project uploads nothing. Credentials: the AWS SDK's
      chain (--endpoint: an S3-compatible endpoint); AZURE_STORAGE_CONNECTION_STRING or a SAS.

Exit codes: 0 success, 1 invalid input (sync: the registry was refused, nothing sent),
2 usage error, 3 run-time failure (a router or tool missing, a port in use, a round trip
that failed, a router sync could not reach or change).`;
