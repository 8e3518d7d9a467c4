/**
 * The configuration entities of one router (from its config file and from management), with
 * the names and identities the real router gives them:
 * - address, linkRoute, autoLink live in the C core: identity a number the core counts up
 *   (src/router_core/agent_config_*.c `qdr_identifier`); from the config file they are named
 *   `<section>/<n>` by the Python agent (agent.py EntityAdapter._identifier, a counter per type);
 * - listener, connector: identity `<type>/<host>:<port>` (`:<name>` appended when named),
 *   sslProfile `sslProfile/<name>`, vhost `vhost/<hostname>`; name defaults to the identity
 *   (agent.py validate, _host_port_name_identifier, SslProfileEntity/VhostEntity._identifier).
 */
import { type Attributes, type ConfigEntityType, ENTITY_TYPES } from "./schema.ts";

export interface StoredEntity {
  type: ConfigEntityType;
  attributes: Attributes;
  fromConfig: boolean;
}

/** Types the router's C core agent keeps (the others are the Python agent's). */
export const CORE_CONFIG_TYPES: ReadonlySet<ConfigEntityType> = new Set<ConfigEntityType>([
  "router.config.address",
  "router.config.linkRoute",
  "router.config.autoLink",
]);

function pythonIdentity(type: ConfigEntityType, a: Attributes, given: unknown): string {
  switch (type) {
    case "listener":
    case "connector": {
      const named = typeof given === "string" ? `:${given}` : "";
      return `${type}/${String(a.host ?? "")}:${String(a.port ?? "amqp")}${named}`;
    }
    case "vhost":
      return `vhost/${String(a.hostname)}`;
    default:
      return `${type}/${String(given)}`;
  }
}

/** Config entities of one router; cleared to the config file's entities on restart. */
export class EntityStore {
  readonly #entities: StoredEntity[] = [];
  #nextIdentity = 1;
  readonly #configNames = new Map<ConfigEntityType, number>();

  add(type: ConfigEntityType, attributes: Attributes, fromConfig: boolean): StoredEntity {
    const given = attributes.name;
    let name: string | null;
    let identity: string;
    if (CORE_CONFIG_TYPES.has(type)) {
      identity = String(this.#nextIdentity++);
      if (typeof given === "string") name = given;
      else if (fromConfig) {
        const n = this.#configNames.get(type) ?? 0;
        this.#configNames.set(type, n + 1);
        name = `${ENTITY_TYPES[type].configType}/${n}`;
      } else name = null;
    } else {
      identity = pythonIdentity(type, attributes, given);
      name = typeof given === "string" ? given : identity;
    }
    const entity: StoredEntity = {
      type,
      attributes: { ...attributes, name, identity },
      fromConfig,
    };
    this.#entities.push(entity);
    return entity;
  }

  remove(entity: StoredEntity): void {
    const index = this.#entities.indexOf(entity);
    if (index >= 0) this.#entities.splice(index, 1);
  }

  ofType(type: ConfigEntityType): StoredEntity[] {
    return this.#entities.filter((e) => e.type === type);
  }

  find(key: "name" | "identity", value: string): StoredEntity | undefined {
    return this.#entities.find((e) => e.attributes[key] === value);
  }

  all(): StoredEntity[] {
    return [...this.#entities];
  }

  clear(): void {
    this.#entities.splice(0);
    this.#nextIdentity = 1;
    this.#configNames.clear();
  }
}
