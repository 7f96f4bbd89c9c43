import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

/** Sampling interval: a stall shorter than this may go unseen; 50 wake-ups a second cost next to nothing. */
const RESOLUTION_MS = 20;

let sampler: { histogram: RecordableHistogram; last: number } | undefined;

/**
 * The 99th percentile of the event loop's delay since the previous call, in ms; undefined on the first call (which
 * starts sampling, so an app that never asks pays nothing) and when no sample was taken since the previous call.
 *
 * Why not perf_hooks.monitorEventLoopDelay(): its reset() (and enable()) forget the previous tick, so the first interval
 * after each read is never recorded, and a stall that begins right after a scrape is lost whole (measured on Node 20
 * and 24). Our own timer keeps its last tick across resets, so every stall lands in exactly one window.
 */
export function eventLoopDelayP99Ms(): number | undefined {
  if (sampler === undefined) {
    start();
    return undefined;
  }
  const { histogram } = sampler;
  if (histogram.count === 0) return undefined;
  const p99 = histogram.percentile(99) / 1e6;
  histogram.reset();
  return Math.round(p99 * 1000) / 1000;
}

function start(): void {
  const histogram = createHistogram();
  const state = { histogram, last: performance.now() };
  sampler = state;
  const timer = setInterval(() => {
    const now = performance.now();
    // The delay is how late this tick came; record() takes integers >= 1 (ns).
    histogram.record(Math.max(1, Math.round((now - state.last - RESOLUTION_MS) * 1e6)));
    state.last = now;
  }, RESOLUTION_MS);
  // Never keeps the process alive.
  timer.unref();
}
