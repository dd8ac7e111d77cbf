/**
 * In-flight requests per target in this process. A delivery that finds its target
 * full does not wait in its worker slot (that would let one slow target take every
 * slot): it is put back as a delayed job and tried again shortly.
 */
export class TargetSlots {
  readonly #inFlight = new Map<string, number>();

  constructor(readonly perTarget: number) {}

  /** Take a slot of `targetId`; false when all of them are busy. */
  tryAcquire(targetId: string): boolean {
    const n = this.#inFlight.get(targetId) ?? 0;
    if (n >= this.perTarget) return false;
    this.#inFlight.set(targetId, n + 1);
    return true;
  }

  release(targetId: string): void {
    const n = (this.#inFlight.get(targetId) ?? 1) - 1;
    if (n <= 0) this.#inFlight.delete(targetId);
    else this.#inFlight.set(targetId, n);
  }

  busy(targetId: string): number {
    return this.#inFlight.get(targetId) ?? 0;
  }
}
