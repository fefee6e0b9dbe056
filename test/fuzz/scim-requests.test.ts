/**
 * The fuzz suite (README, "Fuzz suite"): generated SCIM requests
 * sent to the real worker in workerd, with the real local D1 and KV.
 *
 * Each fast-check run creates two small tenants (world.ts), then sends
 * REQUESTS_PER_RUN generated requests (arbitraries.ts) to tenant A, one
 * after the other. After every request the oracle (oracle.ts) checks the
 * answer, and a snapshot of both tenants' rows is compared with the one
 * before: a refused request or a read must have changed nothing, tenant B
 * nothing ever, and the invariants must hold. The first violation fails the
 * run; fast-check then shrinks it to a minimal sequence and prints it with
 * the seed and path that replay it:
 *
 *   FUZZ_SEED=<seed> FUZZ_PATH=<path> npm run fuzz
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { expect, it } from "vitest";
import { policyArb, requestArb, type FuzzRequest } from "./support/arbitraries.js";
import { fuzzConfig, REQUESTS_PER_RUN } from "./support/config.js";
import { describeReply, isRead, replyViolations } from "./support/oracle.js";
import { concrete, describeConcrete, withToString } from "./support/placeholders.js";
import { send } from "./support/send.js";
import { createWorld, destroyWorld, invariantViolations, rowsText, snapshot, type TenantPolicy, type World } from "./support/world.js";

const config = fuzzConfig(env);

/** A broken promise of the worker, with everything needed to see it again. */
class Violation extends Error {
  override name = "FuzzViolation";
}

interface Tally {
  generated: number;
  setup: number;
  byKind: Map<string, { sent: number; ok: number; refused: number }>;
  statuses: Map<number, number>;
  writesApplied: number;
}

const tally: Tally = { generated: 0, setup: 0, byKind: new Map(), statuses: new Map(), writesApplied: 0 };

function count(req: FuzzRequest, status: number): void {
  tally.generated++;
  tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
  const k = tally.byKind.get(req.kind) ?? { sent: 0, ok: 0, refused: 0 };
  k.sent++;
  if (status < 300) k.ok++;
  else k.refused++;
  tally.byKind.set(req.kind, k);
  if (status < 300 && !isRead(req)) tally.writesApplied++;
}

/** Sends the run's requests in order; throws a Violation at the first broken promise. */
async function play(world: World, requests: Array<FuzzRequest | null>): Promise<void> {
  let before = await snapshot(world);
  const tenantB = rowsText(before.b);
  const otherUserIds = new Set(before.b.users.map((u) => u.id as string));
  const otherIds = new Set([...otherUserIds, ...before.b.groups.map((g) => g.id as string)]);
  const noOtherIds = new Set<string>();
  for (const [index, req] of requests.entries()) {
    if (req === null) continue;
    const sent = concrete(req, world, before);
    const reply = await send(sent);
    count(req, reply.status);
    const after = await snapshot(world);
    const problems = replyViolations(req, sent, reply, otherIds);
    const refused = reply.status >= 400;
    if ((refused || isRead(req)) && after.text !== before.text) problems.push(`${refused ? `a refused request (${reply.status})` : "a read"} changed rows of the tenant`);
    if (rowsText(after.b) !== tenantB) problems.push("a request to tenant A changed tenant B's rows");
    problems.push(...invariantViolations(after.a, world.a, otherUserIds), ...invariantViolations(after.b, world.b, noOtherIds));
    if (problems.length > 0) {
      throw new Violation(
        [`request ${index + 1} of ${requests.length} broke ${problems.length} promise(s):`, ...problems.map((p) => `  - ${p}`), `sent:     ${describeConcrete(sent)}`, `answered: ${describeReply(reply)}`].join("\n"),
      );
    }
    before = after;
  }
}

interface Found {
  run: number;
  message: string;
}

it(`${config.requests} generated SCIM requests keep every promise (seed ${config.seed})`, async () => {
  const replay = `FUZZ_SEED=${config.seed}${config.path ? ` FUZZ_PATH=${config.path}` : ""}`;
  console.log(`fuzz: seed ${config.seed}, ${config.runs} runs × ${REQUESTS_PER_RUN} requests; replay with ${replay} FUZZ_REQUESTS=${config.requests} npm run fuzz`);
  const started = Date.now();
  const found: Found[] = [];
  let run = 0;
  // A request shrinks to null (not sent) before anything else: a shrunk counterexample keeps only the requests that matter.
  // Generation practically never draws null (1 in 2^30).
  const request = fc.option(requestArb.map(withToString), { nil: null, freq: 2 ** 30 });
  const property = fc.asyncProperty(policyArb, fc.array(request, { minLength: REQUESTS_PER_RUN, maxLength: REQUESTS_PER_RUN }), async (policy: TenantPolicy, requests) => {
    const thisRun = run++;
    const world = await createWorld(policy);
    tally.setup += world.setupRequests + 2;
    let failure: unknown;
    try {
      await play(world, requests);
    } catch (err) {
      failure = err;
    }
    try {
      await destroyWorld(world);
    } catch (err) {
      failure ??= err;
    }
    if (failure === undefined) return;
    if (config.keepGoing && failure instanceof Violation) {
      found.push({ run: thisRun, message: failure.message });
      return;
    }
    throw failure;
  });
  const parameters: fc.Parameters<[TenantPolicy, Array<FuzzRequest | null>]> = { seed: config.seed, numRuns: config.runs, includeErrorInReport: true };
  if (config.path !== undefined) parameters.path = config.path;
  await fc.assert(property, parameters);

  const seconds = (Date.now() - started) / 1000;
  const kinds = [...tally.byKind.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k.padEnd(16)} ${String(v.sent).padStart(6)} sent, ${String(v.ok).padStart(6)} 2xx, ${String(v.refused).padStart(6)} 4xx`);
  const statuses = [...tally.statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(" ");
  console.log(
    [
      `fuzz: ${tally.generated} generated requests (+ ${tally.setup} set-up and tear-down) in ${seconds.toFixed(1)} s, seed ${config.seed}; ${found.length} failing runs`,
      `statuses: ${statuses}`,
      `writes applied: ${tally.writesApplied}`,
      ...kinds,
    ].join("\n"),
  );
  if (found.length > 0) {
    throw new Error(
      `${found.length} of ${config.runs} runs broke a promise. Replay one (fast-check then shrinks it) with FUZZ_SEED=${config.seed} FUZZ_PATH=<run> npm run fuzz\n\n` +
        found.map((f) => `run ${f.run} (FUZZ_PATH=${f.run}):\n${f.message}`).join("\n\n"),
    );
  }
  if (config.path === undefined) {
    expect(tally.generated).toBeGreaterThanOrEqual(config.requests);
    // Not a run of refusals only: the generators reach deep states (writes applied, licences moved).
    if (config.requests >= 1000) {
      expect(tally.writesApplied, "writes applied").toBeGreaterThan(tally.generated / 20);
      for (const kind of ["create user", "create group", "put user", "put group", "patch user", "patch group", "delete", "list idp", "list valid", "get"]) {
        expect(tally.byKind.get(kind)?.ok ?? 0, `${kind} requests answered 2xx`).toBeGreaterThan(0);
      }
    }
  }
});
