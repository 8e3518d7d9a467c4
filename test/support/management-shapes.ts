/**
 * Holding a management answer to one a real router gave to the same request: recorded
 * exchanges (test/fixtures/real-router-captures/*.jsonl) are read here, and `compareReply`
 * lists every way an answer differs from the recorded one in SHAPE and STATUS:
 * - statusCode and statusDescription, always;
 * - QUERY: the same `attributeNames` in the same order; every value of a column has a kind
 *   (string/number/boolean/null/list/map) some recorded row has in that column; rows exist
 *   when the recording has rows; the columns `fixedColumns` names carry the recorded values
 *   (rows matched by the type's key column);
 * - READ/CREATE: the same attribute keys, values of the recorded kinds;
 * - GET-ATTRIBUTES, GET-OPERATIONS, GET-MGMT-NODES: the recorded body itself;
 * - GET-TYPES: the same bases for every type the emulator should support (`supportedTypes`),
 *   and no type the real router does not have.
 * The expectation is always the recording; nothing here knows how the emulator works.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

const Properties = z.record(z.string(), z.unknown());

const Exchange = z.object({
  tool: z.string().min(1),
  request: z.object({
    to: z.string(),
    reply_to: z.string(),
    correlation_id: z.union([z.string(), z.number()]),
    application_properties: Properties,
    body: z.unknown(),
  }),
  reply: z.object({
    application_properties: z.object({ statusCode: z.number(), statusDescription: z.string() }),
    body: z.unknown(),
  }),
});

export type RecordedExchange = z.infer<typeof Exchange>;

/** One recorded exchange per line; a bad line is an error naming the file and line. */
export function readCaptures(path: string): RecordedExchange[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== "")
    .map(({ line, number }) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (error) {
        throw new Error(`${path}:${number}: not JSON (${(error as Error).message})`);
      }
      const parsed = Exchange.safeParse(json);
      if (!parsed.success) {
        throw new Error(`${path}:${number}: not a recorded exchange: ${parsed.error.message}`);
      }
      return parsed.data;
    });
}

export interface ManagementAnswer {
  statusCode: number;
  statusDescription: string;
  body: unknown;
}

type Kind = "string" | "number" | "boolean" | "null" | "list" | "map";

export function kindOf(value: unknown): Kind {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object") return "map";
  if (typeof value === "number" || typeof value === "bigint") return "number";
  if (typeof value === "boolean") return "boolean";
  return "string";
}

export interface CompareOptions {
  /** Management type prefix, e.g. `org.apache.qpid.dispatch.`. */
  prefix: string;
  /** Short names of the types the emulator should have (GET-TYPES is compared on these). */
  supportedTypes: readonly string[];
  /**
   * Per short type: the column that identifies a row and the columns whose recorded values the
   * answer must repeat (things the mesh's config files fix, not counters or peers' ports).
   */
  fixedColumns?: Readonly<Record<string, { key: string; columns: readonly string[] }>>;
}

const json = (value: unknown): string => JSON.stringify(value);

function isMap(value: unknown): value is Record<string, unknown> {
  return kindOf(value) === "map";
}

function compareQuery(
  recorded: Record<string, unknown>,
  answer: unknown,
  entityType: string,
  options: CompareOptions,
): string[] {
  if (!isMap(answer)) return [`QUERY body is ${kindOf(answer)}, the recording has a map`];
  const problems: string[] = [];
  const names = recorded.attributeNames as string[];
  if (json(answer.attributeNames) !== json(names)) {
    problems.push(
      `attributeNames ${json(answer.attributeNames)} differ from the recorded ${json(names)}`,
    );
    return problems;
  }
  const recordedRows = (recorded.results ?? []) as unknown[][];
  const rows = answer.results;
  if (!Array.isArray(rows)) return [...problems, `results is ${kindOf(rows)}, not a list`];
  if (recordedRows.length > 0 && rows.length === 0) {
    problems.push(`no rows, the recording has ${recordedRows.length}`);
  }
  for (const [r, row] of rows.entries()) {
    if (!Array.isArray(row) || row.length !== names.length) {
      problems.push(`row ${r} has ${json(row)?.slice(0, 80)}, not ${names.length} values`);
      continue;
    }
    if (recordedRows.length === 0) continue;
    for (const [c, name] of names.entries()) {
      const allowed = new Set(recordedRows.map((recordedRow) => kindOf(recordedRow[c])));
      const kind = kindOf(row[c]);
      if (!allowed.has(kind)) {
        problems.push(
          `row ${r} '${name}': ${kind} ${json(row[c])}, the recording has ${[...allowed].join("/")}`,
        );
      }
    }
  }
  const short = entityType.slice(options.prefix.length);
  const fixed = options.fixedColumns?.[short];
  if (fixed && names.includes(fixed.key)) {
    const keyAt = names.indexOf(fixed.key);
    for (const recordedRow of recordedRows) {
      const row = (rows as unknown[][]).find(
        (candidate) => candidate[keyAt] === recordedRow[keyAt],
      );
      if (!row) {
        problems.push(
          `no row with ${fixed.key} ${json(recordedRow[keyAt])}, the recording has one`,
        );
        continue;
      }
      for (const column of fixed.columns) {
        const at = names.indexOf(column);
        if (at < 0) continue;
        if (json(row[at]) !== json(recordedRow[at])) {
          problems.push(
            `row ${json(recordedRow[keyAt])} '${column}': ${json(row[at])}, the recording has ${json(recordedRow[at])}`,
          );
        }
      }
    }
  }
  return problems;
}

function compareAttributeMap(
  recorded: unknown,
  answer: unknown,
  fixed: readonly string[],
): string[] {
  if (!isMap(recorded)) return compareExactly(recorded, answer);
  if (!isMap(answer)) return [`body is ${kindOf(answer)}, the recording has a map`];
  const problems: string[] = [];
  if (json(Object.keys(answer).sort()) !== json(Object.keys(recorded).sort())) {
    problems.push(
      `attribute keys ${json(Object.keys(answer))} differ from the recorded ${json(Object.keys(recorded))}`,
    );
  }
  for (const [key, value] of Object.entries(recorded)) {
    if (!(key in answer)) continue;
    if (kindOf(answer[key]) !== kindOf(value)) {
      problems.push(`'${key}': ${kindOf(answer[key])}, the recording has ${kindOf(value)}`);
    } else if (fixed.includes(key) && json(answer[key]) !== json(value)) {
      problems.push(`'${key}': ${json(answer[key])}, the recording has ${json(value)}`);
    }
  }
  return problems;
}

function compareExactly(recorded: unknown, answer: unknown): string[] {
  return json(answer) === json(recorded)
    ? []
    : [
        `body ${json(answer)?.slice(0, 300)} differs from the recorded ${json(recorded)?.slice(0, 300)}`,
      ];
}

function compareTypes(recorded: unknown, answer: unknown, options: CompareOptions): string[] {
  if (!isMap(recorded) || !isMap(answer)) return compareExactly(recorded, answer);
  const problems: string[] = [];
  for (const type of Object.keys(answer)) {
    if (!(type in recorded)) problems.push(`type ${type}, which the real router does not have`);
  }
  for (const short of options.supportedTypes) {
    const type = `${options.prefix}${short}`;
    if (!(type in recorded)) {
      if (type in answer) problems.push(`type ${type}, absent from the recording`);
      continue;
    }
    if (!(type in answer)) problems.push(`no type ${type}, the recording has it`);
    else if (json(answer[type]) !== json(recorded[type])) {
      problems.push(
        `${type} bases ${json(answer[type])}, the recording has ${json(recorded[type])}`,
      );
    }
  }
  return problems;
}

/**
 * Every difference between `answer` and the recorded reply to the same request, as text;
 * empty when the answer has the recorded shape and status.
 */
export function compareReply(
  exchange: RecordedExchange,
  answer: ManagementAnswer,
  options: CompareOptions,
): string[] {
  const expected = exchange.reply.application_properties;
  const problems: string[] = [];
  if (answer.statusCode !== expected.statusCode) {
    problems.push(`statusCode ${answer.statusCode}, the recording has ${expected.statusCode}`);
  }
  if (answer.statusDescription !== expected.statusDescription) {
    problems.push(
      `statusDescription ${json(answer.statusDescription)}, the recording has ${json(expected.statusDescription)}`,
    );
  }
  if (problems.length > 0) return problems;
  const properties = exchange.request.application_properties;
  const operation = String(properties.operation).toUpperCase();
  const recorded = exchange.reply.body;
  if (expected.statusCode >= 300) return [...problems, ...compareEmptyBody(recorded, answer.body)];
  const type = String(properties.entityType ?? properties.type ?? "");
  const fixed = options.fixedColumns?.[type.slice(options.prefix.length)]?.columns ?? [];
  switch (operation) {
    case "QUERY":
      return compareQuery(recorded as Record<string, unknown>, answer.body, type, options);
    case "READ":
    case "CREATE":
      return compareAttributeMap(recorded, answer.body, fixed);
    case "GET-TYPES":
      return compareTypes(recorded, answer.body, options);
    default:
      return compareExactly(recorded, answer.body);
  }
}

/** An error answer's body: the recording's `{}` or null, whichever it has. */
function compareEmptyBody(recorded: unknown, answer: unknown): string[] {
  return kindOf(answer) === kindOf(recorded) && json(answer) === json(recorded)
    ? []
    : [`error body ${json(answer)}, the recording has ${json(recorded)}`];
}
