/**
 * Whether `value` is an object and not an array, whatever its prototype: what JSON calls an object.
 * (Not to be confused with the serializer's `isPlainObject`, which also requires an object literal's
 * prototype and no `toJSON`.)
 */
export function isNonArrayObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
