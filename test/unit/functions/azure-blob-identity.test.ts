/**
 * An Azure function's blob container from its settings (functions/azure/blob-identity.ts):
 * identity-based as infra/azure/functions.ts deploys it (`<NAME>__blobServiceUri`,
 * `__credential`, `__clientId`), or a connection string (Azurite). No token is fetched here:
 * a managed identity exists only in Azure; what is checked is which account, container and
 * identity the client is built with, and the errors. (The connection-string path reads and
 * writes Azurite in test/integration/sync/azure-sync-app.test.ts and the live-registry tests.)
 */
import type { TokenCredential } from "@azure/identity";
import { ManagedIdentityCredential } from "@azure/identity";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BlobSettingsError,
  containerFromSettings,
} from "../../../functions/azure/blob-identity.ts";

const ACCOUNT = "https://azureweregab12.blob.core.windows.net/";
const fakeCredential: TokenCredential = { getToken: async () => null };

describe("containerFromSettings", () => {
  it("builds the container on the account's blob endpoint with the user-assigned identity named", () => {
    const asked: (string | undefined)[] = [];
    const container = containerFromSettings(
      {
        SYNC_BLOB__blobServiceUri: ACCOUNT,
        SYNC_BLOB__credential: "managedidentity",
        SYNC_BLOB__clientId: "0f6b7c1e-client",
      },
      "SYNC_BLOB",
      "registry",
      (clientId) => {
        asked.push(clientId);
        return fakeCredential;
      },
    );
    expect(container.url).toBe(`${ACCOUNT}registry`);
    expect(container.credential).toBe(fakeCredential);
    expect(asked).toEqual(["0f6b7c1e-client"]);
  });

  it("uses a ManagedIdentityCredential by default (the system-assigned one without a client id)", () => {
    const container = containerFromSettings(
      { REGISTRY_BLOB__blobServiceUri: ACCOUNT, REGISTRY_BLOB__credential: "managedidentity" },
      "REGISTRY_BLOB",
      "registry",
    );
    expect(container.credential).toBeInstanceOf(ManagedIdentityCredential);
  });

  it("takes a connection string (Azurite, a SAS) as before", () => {
    const container = containerFromSettings(
      {
        SYNC_BLOB_CONNECTION_STRING:
          "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
      },
      "SYNC_BLOB",
      "registry",
    );
    expect(container.url).toBe("http://127.0.0.1:10000/devstoreaccount1/registry");
  });

  it("says what is missing or wrong, by setting name", () => {
    const fails = (env: Record<string, string>, message: RegExp) =>
      expect(() =>
        containerFromSettings(env, "SYNC_BLOB", "registry", () => fakeCredential),
      ).toThrow(message);
    fails(
      {},
      /SYNC_BLOB__blobServiceUri \(with SYNC_BLOB__credential=managedidentity\) or SYNC_BLOB_CONNECTION_STRING must name/,
    );
    fails(
      {
        SYNC_BLOB__blobServiceUri: ACCOUNT,
        SYNC_BLOB_CONNECTION_STRING: "UseDevelopmentStorage=true",
      },
      /give SYNC_BLOB_CONNECTION_STRING or SYNC_BLOB__blobServiceUri .*not both/,
    );
    fails(
      { SYNC_BLOB__blobServiceUri: ACCOUNT },
      /SYNC_BLOB__credential must be 'managedidentity' .*not set/,
    );
    fails(
      { SYNC_BLOB__blobServiceUri: ACCOUNT, SYNC_BLOB__credential: "key" },
      /SYNC_BLOB__credential must be 'managedidentity' .*'key'/,
    );
    fails(
      {
        SYNC_BLOB__blobServiceUri: "http://acct.blob.core.windows.net/",
        SYNC_BLOB__credential: "managedidentity",
      },
      /SYNC_BLOB__blobServiceUri must be the account's https blob endpoint/,
    );
    fails(
      { SYNC_BLOB__blobServiceUri: "not a url", SYNC_BLOB__credential: "managedidentity" },
      /not a URL/,
    );
    // Found by the property below: a path is read as a container name by the SDK.
    fails(
      { SYNC_BLOB__blobServiceUri: "https://a.aa//", SYNC_BLOB__credential: "managedidentity" },
      /without a path \(https:\/\/a\.aa\/\/\)/,
    );
  });

  it("never builds a client from a service URI carrying a query (a SAS would be a key in a setting)", () => {
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc.string(),
        (uri, id) => {
          const env = {
            REGISTRY_BLOB__blobServiceUri: uri,
            REGISTRY_BLOB__credential: "managedidentity",
            REGISTRY_BLOB__clientId: id,
          };
          try {
            const container = containerFromSettings(
              env,
              "REGISTRY_BLOB",
              "registry",
              () => fakeCredential,
            );
            const url = new URL(container.url);
            expect(url.protocol).toBe("https:");
            expect(url.search).toBe("");
          } catch (error) {
            expect(error).toBeInstanceOf(BlobSettingsError);
          }
        },
      ),
    );
  });
});
