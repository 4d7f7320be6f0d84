/** The source of time for everything that checks expiry, windows or replay. Tests pass a fixed one. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The machine's clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that stays where it is put, for tests and replays of recorded decisions. */
export class FixedClock implements Clock {
  #ms: number;
  constructor(ms: number) {
    this.#ms = ms;
  }
  now(): number {
    return this.#ms;
  }
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#ms += ms;
  }
  /** Sets the clock to `ms`. */
  set(ms: number): void {
    this.#ms = ms;
  }
}
