/**
 * Base of every hazardwatch error: a stable `code` (`HW_<AREA>_<WHAT>`) to branch
 * on, and the `cause` kept for the logs. Never branch on `message`.
 */
export class HazardError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
