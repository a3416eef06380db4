import { describe, expect, it } from 'vitest';
import { backend, toAppError } from './api';

describe('toAppError', () => {
  it('keeps coded errors from Go', () => {
    const e = { code: 'tenant_mismatch', message: 'wrong tenant', action: 'Sign in again.' };
    expect(toAppError(e)).toBe(e);
  });
  it('turns strings and exceptions into internal errors', () => {
    expect(toAppError('error parsing arguments')).toEqual({ code: 'internal', message: 'error parsing arguments' });
    expect(toAppError(new TypeError('x is undefined'))).toEqual({ code: 'internal', message: 'x is undefined' });
    expect(toAppError(undefined)).toEqual({ code: 'internal', message: 'unexpected error' });
    expect(toAppError({ code: 1 })).toEqual({ code: 'internal', message: 'unexpected error' });
  });
});

describe('backend', () => {
  it('turns a synchronous throw into a rejection', async () => {
    await expect(
      backend(() => {
        throw new TypeError("Cannot read properties of undefined (reading 'app')");
      }),
    ).rejects.toThrow('reading');
    await expect(backend(() => Promise.resolve(4))).resolves.toBe(4);
  });
});
