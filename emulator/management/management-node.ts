/**
 * The `$management` address of a router as a mesh destination: requests arrive like any
 * delivery (locally as `$management`, from elsewhere as `_topo/0/<router>/$management`);
 * answers go to the request's reply-to with the request's correlation-id, and only that:
 * qdrouterd's agent.py respond() sets `correlation_id=request.correlation_id`, so a request
 * that carries only a message id gets a reply it cannot match.
 */
import { decodeMessage, encodeMessage, outcomes } from "../protocol/rhea-internals.ts";
import { managementAddress } from "../routing/router-addresses.ts";
import {
  type Destination,
  newDestinationId,
  type RoutedDelivery,
} from "../routing/routing-core.ts";
import type { ManagementAgent } from "./agent.ts";

export class ManagementNode implements Destination {
  readonly id = newDestinationId();
  readonly address: string;
  readonly outstanding = 0;
  requests = 0;

  readonly routerId: string;
  readonly #agent: ManagementAgent;
  /** Sends an encoded reply into the mesh from this router. */
  readonly #reply: (to: string, payload: Buffer) => void;

  constructor(
    routerId: string,
    agent: ManagementAgent,
    reply: (to: string, payload: Buffer) => void,
  ) {
    this.routerId = routerId;
    this.#agent = agent;
    this.#reply = reply;
    this.address = managementAddress(routerId);
  }

  hasCredit(): boolean {
    return true;
  }

  deliver(delivery: RoutedDelivery): void {
    this.requests++;
    delivery.complete(outcomes.accepted());
    let request: ReturnType<typeof decodeMessage>;
    try {
      request = decodeMessage(delivery.payload);
    } catch {
      return;
    }
    const replyTo = request.reply_to;
    // Like qdrouterd: a request without reply-to is not processed at all.
    if (typeof replyTo !== "string") return;
    const properties = (request.application_properties ?? {}) as Record<string, unknown>;
    void this.#agent
      .handle(properties, request.body)
      .then((response) => {
        // Some requests a real router never answers (core-agent.ts); neither does this one.
        if (response === undefined) return;
        const payload = encodeMessage({
          to: replyTo,
          correlation_id: request.correlation_id,
          application_properties: {
            statusCode: response.statusCode,
            statusDescription: response.statusDescription,
          },
          body: response.body,
        });
        this.#reply(replyTo, payload);
      })
      .catch((error: unknown) => {
        console.error("[emulator] management reply failed:", error);
      });
  }
}
