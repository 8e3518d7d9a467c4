/**
 * A Lambda's mesh password from Secrets Manager (functions/aws/mesh-password.ts): Powertools
 * Parameters' SecretsProvider and the real AWS SDK client, signing and sending GetSecretValue
 * over HTTP to a local stand-in for the service. There is no Secrets Manager emulator here:
 * the stand-in answers with the response and error shapes of the AWS API reference
 * (GetSecretValue, JSON 1.1 protocol). This is not run against AWS.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MeshSecretError, withMeshPassword } from "../../../functions/aws/mesh-password.ts";
import { secretReader } from "../../../functions/aws/secrets-client.ts";

const PASSWORD = "SECRETMARK-ingress-password-7f3a";
const ARN =
  "arn:aws:secretsmanager:eu-west-1:123456789012:secret:amqp-mesh/aws-eu/ingress-password-a1b2c3";
const CA_ARN =
  "arn:aws:secretsmanager:eu-west-1:123456789012:secret:amqp-mesh/aws-eu/edge-ca-m4n5o6";
const CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBedgeCA\n-----END CERTIFICATE-----\n";
const MISSING =
  "arn:aws:secretsmanager:eu-west-1:123456789012:secret:amqp-mesh/aws-eu/nothing-d4e5f6";
const DENIED = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:amqp-mesh/aws-eu/other-g7h8i9";
const BINARY =
  "arn:aws:secretsmanager:eu-west-1:123456789012:secret:amqp-mesh/aws-eu/binary-j1k2l3";

interface Received {
  target: string | undefined;
  authorization: string | undefined;
  body: { SecretId?: string };
}

/** The service's answers, in the shapes of the API reference. */
function answer(secretId: string | undefined): { status: number; type?: string; body: unknown } {
  switch (secretId) {
    case ARN:
      return {
        status: 200,
        body: {
          ARN,
          CreatedDate: 1.733529645713e9,
          Name: "amqp-mesh/aws-eu/ingress-password",
          SecretString: PASSWORD,
          VersionId: "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1",
          VersionStages: ["AWSCURRENT"],
        },
      };
    case CA_ARN:
      return {
        status: 200,
        body: {
          ARN: CA_ARN,
          CreatedDate: 1.733529645713e9,
          Name: "amqp-mesh/aws-eu/edge-ca",
          SecretString: CA_PEM,
          VersionId: "EXAMPLE3-90ab-cdef-fedc-ba987SECRET3",
          VersionStages: ["AWSCURRENT"],
        },
      };
    case BINARY:
      return {
        status: 200,
        body: {
          ARN: BINARY,
          CreatedDate: 1.733529645713e9,
          Name: "amqp-mesh/aws-eu/binary",
          SecretBinary: Buffer.from("not a string").toString("base64"),
          VersionId: "EXAMPLE2-90ab-cdef-fedc-ba987SECRET2",
          VersionStages: ["AWSCURRENT"],
        },
      };
    case DENIED:
      return {
        status: 400,
        type: "AccessDeniedException",
        body: {
          __type: "AccessDeniedException",
          Message: `User: arn:aws:sts::123456789012:assumed-role/aws-eu-ingress-role/aws-eu-ingress is not authorized to perform: secretsmanager:GetSecretValue on resource: ${DENIED}`,
        },
      };
    default:
      return {
        status: 400,
        type: "ResourceNotFoundException",
        body: {
          __type: "ResourceNotFoundException",
          Message: "Secrets Manager can't find the specified secret.",
        },
      };
  }
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

let server: Server;
let endpoint: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer(async (request, response) => {
    const body = JSON.parse((await bodyOf(request)) || "{}") as { SecretId?: string };
    received.push({
      target: request.headers["x-amz-target"] as string | undefined,
      authorization: request.headers.authorization,
      body,
    });
    const { status, type, body: reply } = answer(body.SecretId);
    response.writeHead(status, {
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-requestid": "b1c2d3e4-0000-0000-0000-000000000000",
      ...(type === undefined ? {} : { "x-amzn-errortype": type }),
    });
    response.end(JSON.stringify(reply));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));
beforeEach(() => {
  received.length = 0;
});

/** A reader as the Lambda builds it, its client pointed at the stand-in. */
const reader = () =>
  secretReader(
    new SecretsProvider({
      clientConfig: {
        endpoint,
        region: "eu-west-1",
        credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-key" },
        maxAttempts: 1,
      },
    }),
  );

describe("the Lambda's mesh password from Secrets Manager", () => {
  it("reads the secret MESH_SASL_PASSWORD_SECRET names, once, into MESH_SASL_PASSWORD", async () => {
    const read = reader();
    const env = await withMeshPassword(
      {
        MESH_SASL_USERNAME: "ingress",
        MESH_SASL_PASSWORD_SECRET: ARN,
        MESH_URLS: "amqps://e:5671",
      },
      read,
    );
    expect(env).toEqual({
      MESH_SASL_USERNAME: "ingress",
      MESH_SASL_PASSWORD: PASSWORD,
      MESH_URLS: "amqps://e:5671",
    });
    // One signed GetSecretValue for that secret.
    expect(received).toHaveLength(1);
    expect(received[0]?.target).toBe("secretsmanager.GetSecretValue");
    expect(received[0]?.body.SecretId).toBe(ARN);
    expect(received[0]?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request/,
    );
    // Cached: a second read (a warm re-init of the same reader) asks the service nothing.
    expect(await read(ARN)).toBe(PASSWORD);
    expect(received).toHaveLength(1);
  });

  it("reads the routers' CA from the secret MESH_TLS_CA_SECRET names into MESH_TLS_CA, beside the password", async () => {
    const env = await withMeshPassword(
      { MESH_SASL_PASSWORD_SECRET: ARN, MESH_TLS_CA_SECRET: CA_ARN, MESH_URLS: "amqps://e:5671" },
      reader(),
    );
    expect(env).toEqual({
      MESH_SASL_PASSWORD: PASSWORD,
      MESH_TLS_CA: CA_PEM,
      MESH_URLS: "amqps://e:5671",
    });
    expect(received.map((r) => r.body.SecretId).sort()).toEqual([ARN, CA_ARN].sort());
    await expect(
      withMeshPassword({ MESH_TLS_CA: CA_PEM, MESH_TLS_CA_SECRET: CA_ARN }, reader()),
    ).rejects.toThrow(/give MESH_TLS_CA or MESH_TLS_CA_SECRET .*not both/);
    await expect(withMeshPassword({ MESH_TLS_CA_SECRET: MISSING }, reader())).rejects.toThrow(
      /MESH_TLS_CA_SECRET: the secret .* could not be read .*ResourceNotFoundException/,
    );
  });

  it("leaves an environment that names no secret alone, and asks nothing", async () => {
    const env = { MESH_SASL_USERNAME: "ingress", MESH_SASL_PASSWORD: "given" };
    expect(await withMeshPassword(env, reader())).toBe(env);
    expect(received).toHaveLength(0);
  });

  it("refuses a password given both ways", async () => {
    await expect(
      withMeshPassword({ MESH_SASL_PASSWORD: "x", MESH_SASL_PASSWORD_SECRET: ARN }, reader()),
    ).rejects.toThrow(/give MESH_SASL_PASSWORD or MESH_SASL_PASSWORD_SECRET .*not both/);
    expect(received).toHaveLength(0);
  });

  it("says which secret could not be read and why: missing, or not allowed", async () => {
    const missing = withMeshPassword({ MESH_SASL_PASSWORD_SECRET: MISSING }, reader());
    await expect(missing).rejects.toBeInstanceOf(MeshSecretError);
    await expect(missing).rejects.toThrow(
      new RegExp(
        `secret ${MISSING.replace(/[/.]/g, "\\$&")} could not be read .*ResourceNotFoundException`,
      ),
    );
    await expect(withMeshPassword({ MESH_SASL_PASSWORD_SECRET: DENIED }, reader())).rejects.toThrow(
      /AccessDeniedException.*needs secretsmanager:GetSecretValue on it/,
    );
  });

  it("refuses a secret without a string value, saying how to fill it", async () => {
    await expect(withMeshPassword({ MESH_SASL_PASSWORD_SECRET: BINARY }, reader())).rejects.toThrow(
      /has no string value: put the password with `aws secretsmanager put-secret-value --secret-id/,
    );
  });
});
