/**
 * What apps/broker/bench/http.ts and the processes it forks (support/http-children.ts) share: the
 * task every quote is for, the IPC message shapes and the resource snapshot each child reports.
 */

/** The task every benchmark quote asks for: three grocery lines. */
export const SPEC = {
  category: 'groceries' as const,
  summary: 'bench groceries',
  items: [
    { description: 'milk', quantity: 2 },
    { description: 'eggs', quantity: 1 },
    { description: 'bread', quantity: 1 },
  ],
  constraints: {},
};

/** A request from the bench process to a child. */
export interface Call {
  id: number;
  op: string;
  args?: unknown;
}

/** A child's answer to a {@link Call}, or its one `ready` message after it started. */
export type Answer =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string } | { ready: unknown };

/** A child's resources as it sees them. */
export interface Usage {
  pid: number;
  memory: NodeJS.MemoryUsage;
  /** `process.resourceUsage().maxRSS`: the process's peak resident set, in KiB. */
  maxRssKb: number;
  /** `process.cpuUsage()`: user and system CPU time since the process started, in µs. */
  cpuUs: NodeJS.CpuUsage;
}

/** What the broker child sends once it listens. */
export interface BrokerReady {
  url: string;
  /** The signed relay in the broker's process (`POST`): the floor under a quote's HTTP and signature work. */
  relayUrl: string;
  token: string;
  brokerId: string;
  jwks: unknown;
  pid: number;
}

/** What the broker child's `engineQuotes` op returns: quotes run in its own process, no person API hop. */
export interface EngineRun {
  /** Latency of each measured quote (task creation + requestQuotes), in ms. */
  timesMs: number[];
  totalMs: number;
  offers: number;
  /** Quotes that did not get the expected number of offers. */
  errors: number;
  /** Broker CPU spent over the measured quotes, in µs. */
  cpuUs: NodeJS.CpuUsage;
}

/** The broker child's event-loop delay since `eldStart`, in ms. */
export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
}

/** The grocery vendors the vendors child started: vendor id → origin. */
export type VendorOrigins = Record<string, string>;
