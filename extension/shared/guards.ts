/** Type guards shared by the message protocols and the parsers of untrusted JSON. */
export type Obj = Record<string, unknown>;
/** A plain JSON object (not null, not an array). */
export const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
export const isStr = (x: unknown): x is string => typeof x === 'string';
/** Any number (NaN and ±Infinity included: JSON cannot carry them, structured clone can). */
export const isNum = (x: unknown): x is number => typeof x === 'number';
/** A finite number. */
export const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
