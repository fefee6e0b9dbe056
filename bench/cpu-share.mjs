// Where the machine's CPU went during a measurement (Linux /proc): all of
// it, wrangler dev's process group (workerd, which also runs every local
// D1, and wrangler's proxy), and this process (the load generator). What
// is left is other work on the machine. Says whether the cores, rather
// than a database's one writer, bound the throughput.

import { readFileSync, readdirSync } from "node:fs";
import os from "node:os";

/** Clock ticks per second of /proc's counters (USER_HZ; 100 on Linux). */
const HZ = 100;

/** Busy and total ticks of every core since boot (/proc/stat, first line). */
function machineTicks() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = f[3] + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** user + system ticks of each process of group `pgid`, by pid, with whether it is workerd (else wrangler's Node proxy and its helpers). */
function groupTicks(pgid) {
  const ticks = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // "pid (comm) state ppid pgrp … utime stime": utime and stime are the 12th and 13th fields after "(comm) ".
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[2]) === pgid) ticks.set(name, { workerd: comm.startsWith("workerd"), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks;
}

/** Ticks spent between two groupTicks by the processes alive at the end (one that ended in between is left out). */
function groupDelta(before, after) {
  const d = { workerd: 0, proxy: 0 };
  for (const [pid, p] of after) d[p.workerd ? "workerd" : "proxy"] += p.ticks - (before.get(pid)?.ticks ?? 0);
  return d;
}

/**
 * A snapshot to diff with `cpuShare`; undefined where /proc is missing.
 * @param {number | undefined} pgid wrangler dev's process group (its pid: started detached)
 */
export function cpuSnapshot(pgid) {
  try {
    return { at: performance.now(), machine: machineTicks(), group: pgid ? groupTicks(pgid) : new Map(), self: process.cpuUsage() };
  } catch {
    return undefined;
  }
}

/**
 * Shares of the machine's capacity (cores × wall time) between two
 * snapshots, in percent: busy in all, workerd (the worker and every local
 * D1), wrangler's proxy, the load generator, and everything else.
 */
export function cpuShare(before, after) {
  if (!before || !after) return undefined;
  const capacity = after.machine.total - before.machine.total;
  if (capacity <= 0) return undefined;
  const pct = (ticks) => Math.round((1000 * ticks) / capacity) / 10;
  const busy = after.machine.busy - before.machine.busy;
  const { workerd, proxy } = groupDelta(before.group, after.group);
  const selfUs = after.self.user + after.self.system - (before.self.user + before.self.system);
  const self = (selfUs / 1e6) * HZ;
  return {
    cores: os.cpus().length,
    seconds: Math.round((after.at - before.at) / 100) / 10,
    busy: pct(busy),
    workerd: pct(workerd),
    proxy: pct(proxy),
    loadGenerator: pct(self),
    other: pct(Math.max(0, busy - workerd - proxy - self)),
  };
}
