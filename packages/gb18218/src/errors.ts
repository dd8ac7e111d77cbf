import { HazardError } from '@hazardwatch/contracts';

/**
 * Raised when a GB 18218 function is called with values its zod schema would have refused
 * (a negative quantity, Q ≤ 0, a head count that is not a non-negative integer). Callers are
 * expected to parse at their trust boundary with the exported schemas, so this is a
 * programming error, not a user-facing one. Branch on `code`, never on the message.
 */
export class Gb18218Error extends HazardError {
  declare readonly code: 'HW_GB18218_INVALID_INPUT';
  constructor(message: string) {
    super('HW_GB18218_INVALID_INPUT', message);
  }
}
