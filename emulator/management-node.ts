/**
 * The `$management` address of a router as a mesh destination: requests arrive like any
 * delivery (locally as `$management`, from elsewhere as `_topo/0/<router>/$management`);
 * answers go to the request's reply-to, correlated by correlation-id or message-id.
 */
import { decodeMessage, encodeMessage, outcomes } from "./amqp.ts";
import { type Destination, newDestinationId, type RoutedDelivery } from "./fabric.ts";
import type { ManagementAgent } from "./management.ts";

export function managementAddress(routerId: string): string {
  return `_topo/0/${routerId}/$management`;
}

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
        const payload = encodeMessage({
          to: replyTo,
          correlation_id: request.correlation_id ?? request.message_id,
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
