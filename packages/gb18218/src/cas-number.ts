import { z } from 'zod';

/**
 * True when `cas` is a CAS Registry Number whose check digit is right: the last digit equals
 * the sum of the other digits, each weighted by its position counted from the right, mod 10.
 */
export function isValidCasNumber(cas: string): boolean {
  const m = /^(\d{2,7})-(\d{2})-(\d)$/.exec(cas);
  if (!m) return false;
  const body = `${m[1]}${m[2]}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += Number(body[body.length - 1 - i]) * (i + 1);
  return sum % 10 === Number(m[3]);
}

/** A CAS Registry Number such as `7664-41-7`, check digit verified. */
export const CasNumberSchema = z.string().refine(isValidCasNumber, 'CAS number like 7664-41-7 with a valid check digit');
