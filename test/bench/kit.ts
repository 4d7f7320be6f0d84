/**
 * Tiny helpers shared by every `bench/*.ts` script: run a function many times, report median and
 * p99 in microseconds and operations per second, and print rows in one format so `pnpm bench`
 * output reads as one table. Benchmarks measure; tests never time anything.
 */
import { performance } from 'node:perf_hooks';

export interface Sample {
  name: string;
  iterations: number;
  medianUs: number;
  p99Us: number;
  opsPerSec: number;
}

/** Runs `fn` `iterations` times after `warmup` runs, timing each call. */
export function measure(name: string, fn: () => unknown, iterations = 10_000, warmup = Math.min(1000, iterations)): Sample {
  for (let i = 0; i < warmup; i++) fn();
  const times = new Float64Array(iterations);
  const start = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    fn();
    times[i] = performance.now() - t0;
  }
  const total = performance.now() - start;
  return summarise(name, times, total);
}

/** Same as {@link measure} for async functions, awaited one at a time. */
export async function measureAsync(name: string, fn: () => Promise<unknown>, iterations = 2_000, warmup = Math.min(200, iterations)): Promise<Sample> {
  for (let i = 0; i < warmup; i++) await fn();
  const times = new Float64Array(iterations);
  const start = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    times[i] = performance.now() - t0;
  }
  const total = performance.now() - start;
  return summarise(name, times, total);
}

/** A Sample from raw latencies in ms and the wall time they took (for loops the kit does not run). */
export function summarise(name: string, times: ArrayLike<number>, totalMs: number): Sample {
  const sorted = Float64Array.from(times).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    name,
    iterations: times.length,
    medianUs: at(0.5) * 1000,
    p99Us: at(0.99) * 1000,
    opsPerSec: times.length / (totalMs / 1000),
  };
}

/** Prints samples as a table, with each one's throughput as a ratio of the baseline's. */
export function report(title: string, baseline: Sample, samples: Sample[]): void {
  console.log(`\n## ${title}`);
  console.log('| case | iterations | median µs | p99 µs | ops/s | vs baseline |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const s of [baseline, ...samples]) {
    const ratio = s === baseline ? 'baseline' : `${((s.opsPerSec / baseline.opsPerSec) * 100).toFixed(1)}%`;
    console.log(
      `| ${s.name} | ${s.iterations} | ${s.medianUs.toFixed(2)} | ${s.p99Us.toFixed(2)} | ${Math.round(s.opsPerSec).toLocaleString('en-US')} | ${ratio} |`,
    );
  }
}

/** Prints a line of facts that are not timings (sizes, memory, goals met). */
export function note(text: string): void {
  console.log(`- ${text}`);
}
