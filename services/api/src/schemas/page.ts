import { z } from 'zod';
import { ApiError } from '../errors.js';

/**
 * Cursors are opaque to clients: base64url of a small JSON value (the sort key of the
 * last item returned). Every list is ordered by a unique, immutable key, so a page never
 * repeats or skips a row that existed when the first page was read, whatever is inserted
 * meanwhile. The scope is applied on every page: a forged cursor reveals nothing.
 */
export function encodeCursor(key: string | number): string {
  return Buffer.from(JSON.stringify({ k: key }), 'utf8').toString('base64url');
}

const CursorSchema = z.object({ k: z.union([z.string().min(1).max(200), z.number().int()]) }).strict();

function decodeCursor(cursor: string | undefined): string | number | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const r = CursorSchema.safeParse(parsed);
  if (!r.success) throw new ApiError('HW_API_VALIDATION', 'request is invalid', [{ path: 'query.cursor', message: 'not a cursor this API issued' }]);
  return r.data.k;
}

export function decodeStringCursor(cursor: string | undefined): string | undefined {
  const k = decodeCursor(cursor);
  if (k !== undefined && typeof k !== 'string')
    throw new ApiError('HW_API_VALIDATION', 'request is invalid', [{ path: 'query.cursor', message: 'not a cursor of this list' }]);
  return k;
}

export function decodeNumberCursor(cursor: string | undefined): number | undefined {
  const k = decodeCursor(cursor);
  if (k !== undefined && typeof k !== 'number')
    throw new ApiError('HW_API_VALIDATION', 'request is invalid', [{ path: 'query.cursor', message: 'not a cursor of this list' }]);
  return k;
}

export const PageQuerySchema = z.object({
  cursor: z.string().max(500).optional().describe('opaque cursor from `nextCursor` of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** A page of items and the cursor of the next page (null on the last page). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/**
 * Cut a result fetched with `limit + 1` rows into a page: the extra row only tells
 * that another page exists.
 */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string | number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
