/**
 * How long something has had nothing to do: a sender whose last pending publish finished
 * is closed after `timeoutMs` without a new one. One timer per idle spell, not per publish:
 * it re-arms for whatever is left of the spell.
 */
export class IdleClock {
  /** When the idle spell began; 0 while busy. */
  private since = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly timeoutMs: number;
  private readonly expired: () => void;

  constructor(timeoutMs: number, expired: () => void) {
    this.timeoutMs = timeoutMs;
    this.expired = expired;
  }

  busy(): void {
    this.since = 0;
  }

  idle(): void {
    this.since = Date.now();
    if (this.timer === undefined) this.arm(this.timeoutMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.since === 0) return;
      const idleFor = Date.now() - this.since;
      if (idleFor >= this.timeoutMs) this.expired();
      else this.arm(this.timeoutMs - idleFor);
    }, delayMs);
    // An idle sender's timer must not keep the process alive by itself.
    this.timer.unref();
  }
}
