/**
 * Peak resident set size of this process: samples `process.memoryUsage.rss()` every `intervalMs` on
 * an unref'd timer (it only runs when the event loop turns), and also reads the kernel's high-water
 * mark `process.resourceUsage().maxRSS`, which sees peaks between samples (but covers the process's
 * whole life, start-up included).
 */
export class PeakRssSampler {
  #peak = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly intervalMs = 5) {}

  start(): this {
    this.#peak = process.memoryUsage.rss();
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
    this.#timer.unref();
    return this;
  }

  /** Takes one sample now (call it at points where the loop may not turn for a while). */
  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.#peak) this.#peak = rss;
  }

  /** Stops sampling; returns the sampled peak and the kernel's maxRSS, both in bytes. */
  stop(): { sampledPeakBytes: number; maxRssBytes: number } {
    this.sample();
    clearInterval(this.#timer);
    return { sampledPeakBytes: this.#peak, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  }
}
