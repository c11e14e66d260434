/** Parses "a.b[0].c" into ["a", "b", 0, "c"]. */
export function parsePath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    parts.push(match[2] !== undefined ? Number(match[2]) : match[1]);
  }
  return parts;
}

/**
 * Reads a value at a path; undefined when any step is missing. An empty path returns the value itself.
 * Only own properties count: "toString" or "constructor" are not fields of a JSON object.
 */
export function readPath(value: unknown, path: string): unknown {
  let current = value;
  for (const key of parsePath(path)) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
