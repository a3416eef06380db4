// Tiny assertions for scenarios; playwright-core has no test runner of its own.
export function expectEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
}

export function expectMatch(actual, re, what) {
  if (!re.test(actual ?? '')) throw new Error(`${what}: ${JSON.stringify(actual)} does not match ${re}`);
}
