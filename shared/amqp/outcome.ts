/**
 * The outcome of a delivery (AMQP 1.0 §3.4), as the client reads the router's answer to a
 * publish and as the emulator passes a consumer's answer back to the producer: one type.
 */

/** The four terminal outcomes, as a closed union. */
export type OutcomeKind = "accepted" | "rejected" | "released" | "modified";

export interface ErrorCondition {
  condition: string;
  description?: string;
}

/** A terminal outcome, rebuilt from its fields whenever it is passed on. */
export interface Outcome {
  kind: OutcomeKind;
  /** `rejected`: the error the peer gave (when it named a condition). */
  error?: ErrorCondition;
  /** `modified`: the peer's delivery-failed and undeliverable-here flags. */
  deliveryFailed?: boolean;
  undeliverableHere?: boolean;
}

interface RheaOutcome {
  constructor: { composite_type?: string };
  error?: { condition?: unknown; description?: unknown };
  delivery_failed?: unknown;
  undeliverable_here?: unknown;
}

function isRheaOutcome(value: unknown): value is RheaOutcome {
  return typeof value === "object" && value !== null && "constructor" in value;
}

const KINDS: readonly string[] = ["accepted", "rejected", "released", "modified"];

/**
 * Reads a delivery's remote state (rhea marks outcome instances by their constructor's
 * `composite_type`); undefined while there is none, or a non-terminal one (`received`).
 */
export function readOutcome(state: unknown): Outcome | undefined {
  if (!isRheaOutcome(state)) return undefined;
  const kind = state.constructor.composite_type;
  if (kind === undefined || !KINDS.includes(kind)) return undefined;
  const outcome: Outcome = { kind: kind as OutcomeKind };
  if (kind === "rejected" && state.error && typeof state.error.condition === "string") {
    outcome.error = {
      condition: state.error.condition,
      ...(typeof state.error.description === "string"
        ? { description: state.error.description }
        : {}),
    };
  }
  if (kind === "modified") {
    outcome.deliveryFailed = state.delivery_failed === true;
    outcome.undeliverableHere = state.undeliverable_here === true;
  }
  return outcome;
}
