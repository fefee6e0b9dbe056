// Load generation: autocannon as a library, only against 127.0.0.1, each
// round bounded in time (`duration`) and, for scenarios that consume a pool
// of targets, in count (`amount` = what is left of the pool).

import autocannon from "autocannon";

/**
 * @typedef {{ method: string, path: string, body?: string }} Target
 * @typedef {{ rps: number, p50: number, p99: number, total: number, non2xx: number, errors: number, statusCodes: Record<string, number> }} Round
 */

/**
 * One round of load.
 * @param {{ baseUrl: string, token?: string, connections: number, durationS: number,
 *   next: () => Target | undefined, remaining?: () => number, onResponse?: (status: number, body: string) => void }} o
 * @returns {Promise<Round | undefined>} undefined when the pool is empty
 */
export function loadRound({ baseUrl, token, connections, durationS, next, remaining, onResponse }) {
  const left = remaining ? remaining() : Infinity;
  if (left <= 0) return Promise.resolve(undefined);
  const amount = Number.isFinite(left) ? left : undefined;
  const conns = amount !== undefined ? Math.max(1, Math.min(connections, amount)) : connections;
  /** @type {Record<string, string>} */
  const headers = { accept: "application/scim+json", "content-type": "application/scim+json" };
  if (token) headers.authorization = `Bearer ${token}`;
  let last = /** @type {Target | undefined} */ (undefined);
  const started = performance.now();
  /** @type {number | undefined} */
  let lastResponseAt;
  return new Promise((resolve, reject) => {
    let timer;
    const instance = autocannon(
      {
        url: baseUrl,
        connections: conns,
        pipelining: 1,
        duration: durationS,
        amount,
        timeout: 30,
        headers,
        requests: [
          {
            setupRequest(req) {
              const t = next() ?? last;
              if (!t) return req;
              last = t;
              req.method = t.method;
              req.path = t.path;
              req.body = t.body;
              return req;
            },
            ...(onResponse ? { onResponse: (status, body) => onResponse(status, body) } : {}),
          },
        ],
      },
      (err, result) => {
        clearTimeout(timer);
        if (err) return reject(err);
        const total = result.requests.total ?? 0;
        // From the start to the last response: autocannon notices the end of
        // a round bounded by count only at its next 1 s sample tick.
        const secs = Math.max(((lastResponseAt ?? performance.now()) - started) / 1000, 0.001);
        /** @type {Record<string, number>} */
        const statusCodes = {};
        for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = Number(v.count);
        resolve({
          rps: total / secs,
          p50: result.latency.p50,
          p99: result.latency.p99,
          total,
          non2xx: result.non2xx,
          errors: result.errors,
          statusCodes,
        });
      },
    );
    instance.on("response", () => {
      lastResponseAt = performance.now();
    });
    // `amount` overrides `duration` in autocannon: keep the time bound ourselves.
    if (amount !== undefined) timer = setTimeout(() => instance.stop(), durationS * 1000);
  });
}

/** Median of numbers (undefined for none). */
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * Several rounds; the figures reported are the medians across rounds.
 * @param {Parameters<typeof loadRound>[0] & { rounds: number }} o
 */
export async function measure(o) {
  /** @type {Round[]} */
  const rounds = [];
  for (let r = 0; r < o.rounds; r++) {
    const round = await loadRound(o);
    if (!round) break;
    rounds.push(round);
  }
  const statusCodes = {};
  for (const r of rounds) for (const [c, n] of Object.entries(r.statusCodes)) statusCodes[c] = (statusCodes[c] ?? 0) + n;
  return {
    rounds: rounds.length,
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    requests: rounds.reduce((s, r) => s + r.total, 0),
    non2xx: rounds.reduce((s, r) => s + r.non2xx, 0),
    errors: rounds.reduce((s, r) => s + r.errors, 0),
    statusCodes,
  };
}
