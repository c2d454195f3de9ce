/** Type guards shared by the message protocols and the parsers of untrusted JSON. */
export type Obj = Record<string, unknown>;
/** A plain JSON object (not null, not an array). */
export const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
export const isStr = (x: unknown): x is string => typeof x === 'string';
/** Any number (NaN and ±Infinity included: JSON cannot carry them, structured clone can). */
export const isNum = (x: unknown): x is number => typeof x === 'number';
/** A finite number. */
export const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
/** A finite number or null (what JSON carries for a value that may be undefined). */
export const isFiniteOrNull = (x: unknown): x is number | null => x === null || isFiniteNumber(x);
/** Any number (as isNum) or null. */
export const isNumOrNull = (x: unknown): x is number | null => x === null || isNum(x);
export const isStrOrNull = (x: unknown): x is string | null => x === null || isStr(x);
/** A non-negative safe integer (a count, an id, an index). */
export const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
/** A finite number in [0, 1]. */
export const isFraction = (x: unknown): x is number => isFiniteNumber(x) && x >= 0 && x <= 1;

/**
 * The guard of a discriminated union: one check per `type` value (given the object), false for any other type.
 * The table names every member's type, so a message added to the union without a check does not compile.
 */
export function byType<T extends { type: string }>(checks: { [K in T['type']]: (x: Obj) => boolean }): (x: unknown) => x is T {
  const table = checks as Record<string, (x: Obj) => boolean>;
  return (x: unknown): x is T => isObj(x) && isStr(x.type) && Object.prototype.hasOwnProperty.call(table, x.type) && table[x.type](x);
}
