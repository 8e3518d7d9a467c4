/**
 * A mesh of real routers that does not form fails loudly: the error names what was awaited
 * and holds every router's own view (its router.node rows and connections) and the end of
 * its log, so that a failed set-up says why. Here one router of a line a—b—c is withheld, so
 * that a and b can never see c. (How the suite then counts the file's tests — failed, not
 * skipped — is held by test/unit/setup/count-reporter.test.ts.)
 */
import { afterAll, describe, expect, it } from "vitest";
import { MeshSetUpError, startTargetMesh } from "../support/target-mesh.ts";
import { closeTarget, engine, onEmulator } from "./target.ts";

const REAL_ROUTERS =
  "real routers the suite starts (MESH_TARGET engine; the emulator forms its mesh in-process)";

describe.skipIf(onEmulator || engine === undefined)(
  `a mesh that does not form — ${REAL_ROUTERS}`,
  () => {
    afterAll(closeTarget);

    it("fails its set-up with each router's router.node rows, connections and log", async () => {
      if (engine === undefined || engine === "emulator") throw new Error(REAL_ROUTERS);
      const started = startTargetMesh(
        {
          routers: [{ id: "a" }, { id: "b" }, { id: "c" }],
          links: [
            ["a", "b", 1],
            ["b", "c", 1],
          ],
        },
        engine,
        { withheld: ["c"], formTimeout: 10_000 },
      );
      const error = await started.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MeshSetUpError);
      const message = (error as Error).message;
      if (process.env.SHOW_SET_UP_ERROR === "1") console.log(message);
      expect(message).toContain(
        `${engine} mesh did not form: timed out after 10000 ms waiting for router a to see routers a, b, c at their costs`,
      );
      // a's own view: itself (b too once their link is up), never c.
      expect(message).toMatch(
        /router a \(interior, amqp:\/\/127\.0\.0\.1:\d+\):\n {2}router\.node rows:\n {4}\{"id":"a"/,
      );
      expect(message).not.toMatch(/\{"id":"c"/);
      expect(message).toMatch(/connections:\n {4}\{"role"/);
      expect(message).toMatch(/\{"role":"inter-router","dir":"out"/);
      // The end of each started router's log; b's connector to c is refused there.
      expect(message).toMatch(/router b \(interior, [^)]+\):[\s\S]*last 15 lines of its log/);
      expect(message).toMatch(/Connection to 127\.0\.0\.1:\d+ failed/);
    });
  },
);
