/**
 * How many messages wait in a broker's queues, read over AMQP 1.0 as the routers reach the
 * broker: a receiver attached to the queue with no credit asks to drain; the broker answers
 * with a flow whose `available` is the queue's depth (AMQP 1.0 §2.7.4), and never sends a
 * message, since it has no credit. RabbitMQ's AMQP 1.0 plugin answers so (seen on 3.10: the
 * flow carries `available`; a missing queue ends the session with amqp:not-found); a broker
 * that leaves `available` out says it cannot tell. No management plugin, no HTTP API: the
 * same port, login and protocol the routers' connectors use, in every cloud.
 *
 * rhea is used directly: the shared client (shared/amqp) has no drain without credit, and
 * this reader needs one connection to a broker, not a mesh. Each queue gets a session of its
 * own: RabbitMQ ends the session (not only the link) when an attach is refused.
 */
import rhea from "rhea";

export interface BrokerLogin {
  host: string;
  port: number;
  /** PLAIN; none: ANONYMOUS. */
  sasl?: { username: string; password: string };
  /** TLS, with these CA certificates (PEM) when given. */
  tls?: { ca?: string };
}

export type DepthReading = { messages: number } | { unknown: string };

export interface ReadDepthsOptions {
  /** For connecting and for each queue's answer (default 2000 ms). */
  timeoutMs?: number;
}

/** What rhea hands us; only these members are used. */
interface FlowFrame {
  performative: { available?: number | undefined; drain?: boolean };
}
interface RheaReceiver {
  on_flow(frame: FlowFrame): void;
  drain_credit(): void;
  on(event: "receiver_open", listener: () => void): void;
}
interface RheaSession {
  begin(): void;
  close(): void;
  error?: { condition?: string; description?: string } | undefined;
  attach_receiver(options: object): RheaReceiver;
  on(event: "session_error" | "session_close", listener: () => void): void;
}
interface RheaConnection {
  create_session(): RheaSession;
  close(): void;
  error?: { condition?: string; description?: string } | undefined;
  on(event: string, listener: (context: { error?: Error }) => void): void;
  removeAllListeners(): void;
}

function describeAmqpError(error: { condition?: string; description?: string } | undefined) {
  if (error === undefined) return "no reason given";
  return [error.condition, error.description].filter(Boolean).join(": ") || "no reason given";
}

function connect(login: BrokerLogin, timeoutMs: number): Promise<RheaConnection> {
  return new Promise((resolve, reject) => {
    const container = rhea.create_container();
    // rhea raises an unhandled 'error' on the container for errors nobody listens to.
    container.on("error", () => undefined);
    const connection = container.connect({
      host: login.host,
      port: login.port,
      reconnect: false,
      idle_time_out: 0,
      ...(login.sasl === undefined
        ? {}
        : { username: login.sasl.username, password: login.sasl.password }),
      ...(login.tls === undefined
        ? {}
        : {
            transport: "tls",
            servername: login.host,
            ...(login.tls.ca === undefined ? {} : { ca: login.tls.ca }),
          }),
    } as Parameters<typeof container.connect>[0]) as unknown as RheaConnection;
    const fail = (why: string) => {
      clearTimeout(timer);
      connection.removeAllListeners();
      connection.on("error", () => undefined);
      connection.close();
      reject(new Error(why));
    };
    const timer = setTimeout(
      () => fail(`no answer from ${login.host}:${login.port} within ${timeoutMs} ms`),
      timeoutMs,
    );
    connection.on("connection_open", () => {
      clearTimeout(timer);
      resolve(connection);
    });
    // A refused login (RabbitMQ: after a few seconds) comes as an error in the context.
    connection.on("connection_error", (context) =>
      fail(
        `the broker refused the connection: ${context.error?.message ?? describeAmqpError(connection.error)}`,
      ),
    );
    connection.on("disconnected", (context) =>
      fail(
        context.error === undefined
          ? `${login.host}:${login.port} closed the connection`
          : `${login.host}:${login.port}: ${context.error.message}`,
      ),
    );
  });
}

function readOne(
  connection: RheaConnection,
  address: string,
  timeoutMs: number,
): Promise<DepthReading> {
  return new Promise((resolve) => {
    const session = connection.create_session();
    let answer: DepthReading | undefined;
    const done = (reading: DepthReading) => {
      if (answer !== undefined) return;
      answer = reading;
      clearTimeout(timer);
      resolve(reading);
      session.close();
    };
    const timer = setTimeout(
      () => done({ unknown: `the broker did not answer for ${address} within ${timeoutMs} ms` }),
      timeoutMs,
    );
    session.on("session_error", () =>
      done({ unknown: `the broker refused ${address}: ${describeAmqpError(session.error)}` }),
    );
    session.on("session_close", () =>
      done({ unknown: `the broker closed the session for ${address}` }),
    );
    session.begin();
    const receiver = session.attach_receiver({
      source: { address },
      credit_window: 0,
      autoaccept: false,
    });
    const onFlow = receiver.on_flow.bind(receiver);
    receiver.on_flow = (frame) => {
      onFlow(frame);
      const available = frame.performative.available;
      if (typeof available === "number") done({ messages: available });
      else if (frame.performative.drain === true)
        done({ unknown: `the broker does not say how many messages ${address} holds` });
    };
    receiver.on("receiver_open", () => receiver.drain_credit());
  });
}

/**
 * The depth of each queue (by its address on the broker), read over one connection. A
 * broker that cannot be reached gives every queue the same reason; a queue the broker
 * refuses, its own.
 */
export async function readQueueDepths(
  login: BrokerLogin,
  addresses: readonly string[],
  options: ReadDepthsOptions = {},
): Promise<Map<string, DepthReading>> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const readings = new Map<string, DepthReading>();
  if (addresses.length === 0) return readings;
  let connection: RheaConnection;
  try {
    connection = await connect(login, timeoutMs);
  } catch (error) {
    const why = (error as Error).message;
    for (const address of addresses) readings.set(address, { unknown: why });
    return readings;
  }
  try {
    const answers = await Promise.all(addresses.map((a) => readOne(connection, a, timeoutMs)));
    for (const [i, address] of addresses.entries()) readings.set(address, answers[i]!);
  } finally {
    connection.removeAllListeners();
    connection.on("error", () => undefined);
    connection.close();
  }
  return readings;
}
