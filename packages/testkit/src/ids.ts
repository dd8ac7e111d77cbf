import { randomBytes } from 'node:crypto';

/** A short unique token for names of databases, Redis prefixes and topic prefixes. */
export function uniqueToken(): string {
  return `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}
