/**
 * The `$management` agent of one emulated router: AMQP management requests (operation,
 * type, name/identity in application properties) answered as the real router answers
 * them. Like qdrouterd and skupper-router, it has two halves with their own ways: the C
 * core's (core-agent.ts: QUERY/CREATE/READ/UPDATE/DELETE of address, linkRoute, autoLink,
 * router/routerMetrics, connection, router.link, router.address) and the Python agent's
 * (python-agent.ts: everything else). Which half takes a request is decided as
 * src/router_core/management_agent.c `qd_can_handle_request` decides it.
 */
import { typePrefix } from "../../shared/router-vocabulary/index.ts";
import {
  type AgentContext,
  type ManagedRouter,
  type ManagementOutcome,
  respond,
} from "./agent-context.ts";
import { catalogOf } from "./catalog.ts";
import { coreTypeOf, handleCore } from "./core-agent.ts";
import { PythonAgent } from "./python-agent.ts";

export type {
  ManagedRouter,
  ManagementOutcome,
  ManagementResponse,
} from "./agent-context.ts";

export class ManagementAgent {
  readonly #context: AgentContext;
  readonly #python: PythonAgent;
  /** The last request each half has taken: the next one waits for it. */
  #coreTurn: Promise<unknown> = Promise.resolve();
  #pythonTurn: Promise<unknown> = Promise.resolve();

  constructor(router: ManagedRouter) {
    const prefix = `${typePrefix(router.flavour)}.`;
    this.#context = {
      router,
      catalog: catalogOf(router.flavour),
      prefix,
      qualified: (short) => `${prefix}${short}`,
    };
    this.#python = new PythonAgent(this.#context);
  }

  qualified(short: string): string {
    return this.#context.qualified(short);
  }

  /**
   * The answer to one request; undefined when the real router would send none. Each half
   * takes its requests one at a time, in arrival order, as the router's core thread and
   * its Python agent do: a CREATE sent right behind a DELETE of the same name finds it gone.
   * The halves do not wait for each other (qdrouterd hands the Python agent's requests on).
   */
  handle(properties: Record<string, unknown>, body: unknown): Promise<ManagementOutcome> {
    let core: ReturnType<typeof coreTypeOf>;
    try {
      core = coreTypeOf(this.#context, properties);
    } catch (error) {
      return Promise.resolve(failed(error));
    }
    const answer = (): Promise<ManagementOutcome> =>
      core
        ? handleCore(this.#context, core, String(properties.operation), properties, body)
        : this.#python.handle(properties, body);
    const turn = (core ? this.#coreTurn : this.#pythonTurn).then(answer).catch(failed);
    if (core) this.#coreTurn = turn;
    else this.#pythonTurn = turn;
    return turn;
  }
}

function failed(error: unknown): ManagementOutcome {
  return respond(500, {}, error instanceof Error ? error.message : String(error));
}
