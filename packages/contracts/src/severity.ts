import { z } from 'zod';

/**
 * The one mapping between warning colour (what regulators use: 红/橙/黄/蓝),
 * ISA-18.2 priority and a numeric severity for comparisons. Everything that
 * ranks alarms goes through this table.
 */
export const ColourSchema = z.enum(['red', 'orange', 'yellow', 'blue']);
export type Colour = z.infer<typeof ColourSchema>;

export const PrioritySchema = z.enum(['urgent', 'high', 'medium', 'low']);
export type Priority = z.infer<typeof PrioritySchema>;

export const SEVERITY_OF_COLOUR: Readonly<Record<Colour, number>> = { red: 4, orange: 3, yellow: 2, blue: 1 };
export const PRIORITY_OF_COLOUR: Readonly<Record<Colour, Priority>> = { red: 'urgent', orange: 'high', yellow: 'medium', blue: 'low' };
export const COLOUR_OF_PRIORITY: Readonly<Record<Priority, Colour>> = { urgent: 'red', high: 'orange', medium: 'yellow', low: 'blue' };

export function severityOf(colour: Colour): number {
  return SEVERITY_OF_COLOUR[colour];
}

/** True when `colour` is at least as severe as `minimum`. */
export function atLeast(colour: Colour, minimum: Colour): boolean {
  return SEVERITY_OF_COLOUR[colour] >= SEVERITY_OF_COLOUR[minimum];
}

/** The more severe of two colours. */
export function maxColour(a: Colour, b: Colour): Colour {
  return SEVERITY_OF_COLOUR[a] >= SEVERITY_OF_COLOUR[b] ? a : b;
}
