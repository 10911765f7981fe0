/**
 * Peak resident set size of this process: samples `process.memoryUsage.rss()` every `intervalMs` on
 * an unref'd timer (it only runs when the event loop turns), and also reads the kernel's high-water
 * mark `process.resourceUsage().maxRSS`, which sees peaks between samples (but covers the process's
 * whole life, start-up included).
 */
export class PeakRssSampler {
  #peak = 0;
  /** `process.memoryUsage()` at the sampled peak (heap, external and ArrayBuffer bytes). */
  #atPeak: NodeJS.MemoryUsage | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly intervalMs = 5) {}

  start(): this {
    this.#atPeak = process.memoryUsage();
    this.#peak = this.#atPeak.rss;
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
    this.#timer.unref();
    return this;
  }

  /** Takes one sample now (call it at points where the loop may not turn for a while). */
  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.#peak) {
      this.#peak = rss;
      this.#atPeak = process.memoryUsage();
    }
  }

  /**
   * Stops sampling; returns the sampled peak and the kernel's maxRSS, both in bytes, and what
   * `process.memoryUsage()` said at the sampled peak.
   */
  stop(): { sampledPeakBytes: number; maxRssBytes: number; atPeak: NodeJS.MemoryUsage } {
    this.sample();
    clearInterval(this.#timer);
    return { sampledPeakBytes: this.#peak, maxRssBytes: process.resourceUsage().maxRSS * 1024, atPeak: this.#atPeak! };
  }
}
