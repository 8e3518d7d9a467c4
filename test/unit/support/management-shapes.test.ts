/**
 * The comparison the tool-capture replay rests on (test/support/management-shapes.ts):
 * a recorded answer matches itself, and every kind of drift from it — a status, a missing or
 * reordered attribute, a value of another kind, a changed configured value, a type the real
 * router lacks — is reported. Without this the replay could pass by comparing nothing.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type CompareOptions,
  compareReply,
  type RecordedExchange,
  readCaptures,
} from "../../support/management-shapes.ts";

const capture = readCaptures(
  join(import.meta.dirname, "../../fixtures/real-router-captures/qdrouterd-1.19.0.jsonl"),
);
const options: CompareOptions = {
  prefix: "org.apache.qpid.dispatch.",
  supportedTypes: ["router", "listener", "router.config.address"],
  fixedColumns: { "router.node": { key: "id", columns: ["linkState", "nextHop"] } },
};

function recorded(tool: string, entityType?: string): RecordedExchange {
  const found = capture.find(
    (e) =>
      e.tool === tool &&
      (entityType === undefined || e.request.application_properties.entityType === entityType),
  );
  if (!found) throw new Error(`no recorded ${tool} ${entityType ?? ""}`);
  return found;
}

/** A recorded body as the edits below see it (a QUERY's, or any map). */
type Body = { attributeNames: string[]; results: unknown[][] } & Record<string, unknown>;

/** The recorded reply, as an answer, changed by `edit` (on a deep copy). */
function answerOf(exchange: RecordedExchange, edit: (body: Body) => void = () => {}) {
  const body = structuredClone(exchange.reply.body);
  edit(body as Body);
  return { ...exchange.reply.application_properties, body };
}

const QUERY_ROUTER = recorded("qdstat -g", "org.apache.qpid.dispatch.router");
const QUERY_NODES = recorded("qdstat -n", "org.apache.qpid.dispatch.router.node");

describe("compareReply", () => {
  it("finds nothing to report in the recorded answers themselves", () => {
    for (const exchange of capture) {
      expect(compareReply(exchange, answerOf(exchange), options), exchange.tool).toEqual([]);
    }
  });

  it("reports another status", () => {
    const answer = { ...answerOf(QUERY_ROUTER), statusCode: 404, statusDescription: "Not Found" };
    expect(compareReply(QUERY_ROUTER, answer, options)).toEqual([
      "statusCode 404, the recording has 200",
      'statusDescription "Not Found", the recording has "OK"',
    ]);
  });

  it("reports a missing or reordered attribute", () => {
    const dropped = answerOf(QUERY_ROUTER, (b) => {
      b.attributeNames.pop();
      for (const row of b.results) row.pop();
    });
    expect(compareReply(QUERY_ROUTER, dropped, options)[0]).toMatch(/^attributeNames .* differ/);
    const swapped = answerOf(QUERY_ROUTER, (b) => {
      b.attributeNames.reverse();
    });
    expect(compareReply(QUERY_ROUTER, swapped, options)).toHaveLength(1);
  });

  it("reports a value of a kind no recorded row has, and no rows where there were some", () => {
    const wrongKind = answerOf(QUERY_ROUTER, (b) => {
      b.results[0]![b.attributeNames.indexOf("version")] = 1.19;
    });
    expect(compareReply(QUERY_ROUTER, wrongKind, options)).toEqual([
      "row 0 'version': number 1.19, the recording has string",
    ]);
    const empty = answerOf(QUERY_ROUTER, (b) => {
      b.results = [];
    });
    expect(compareReply(QUERY_ROUTER, empty, options)).toEqual(["no rows, the recording has 1"]);
  });

  it("reports a configured column whose value changed, and a missing row", () => {
    const changed = answerOf(QUERY_NODES, (b) => {
      b.results[0]![b.attributeNames.indexOf("linkState")] = [];
    });
    expect(compareReply(QUERY_NODES, changed, options)).toEqual([
      `row "InteriorA" 'linkState': [], the recording has ["InteriorB"]`,
    ]);
    const missing = answerOf(QUERY_NODES, (b) => {
      b.results.pop();
    });
    expect(compareReply(QUERY_NODES, missing, options)).toEqual([
      'no row with id "InteriorB", the recording has one',
    ]);
  });

  it("reports READ keys that differ and GET-TYPES entries that differ or are invented", () => {
    const read = recorded("qdmanage read --type address --name capture/a");
    const lessKeys = answerOf(read, (b) => {
      delete b.fallback;
    });
    expect(compareReply(read, lessKeys, options)[0]).toMatch(/^attribute keys /);
    const types = recorded("qdmanage get-types");
    const invented = answerOf(types, (b) => {
      b["org.apache.qpid.dispatch.nonsense"] = [];
      b["org.apache.qpid.dispatch.listener"] = [];
    });
    expect(compareReply(types, invented, options)).toEqual([
      "type org.apache.qpid.dispatch.nonsense, which the real router does not have",
      'org.apache.qpid.dispatch.listener bases [], the recording has ["org.apache.qpid.dispatch.configurationEntity","org.apache.qpid.dispatch.entity"]',
    ]);
  });
});
