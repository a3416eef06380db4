import { describe, expect, it, vi } from 'vitest';
import * as bindings from '../../wailsjs/go/app/AppService';
import { AppService, toAppError } from './api';

vi.mock('../../wailsjs/go/app/AppService', () => ({ About: vi.fn(), Ping: vi.fn() }));

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

describe('the service wrappers', () => {
  it('turn a synchronous throw of a binding (no Wails bridge) into a rejection', async () => {
    vi.mocked(bindings.Ping).mockImplementation(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'app')");
    });
    let thrown = false;
    const p = (() => {
      try {
        return AppService.Ping('x');
      } catch {
        thrown = true;
        return Promise.resolve(null);
      }
    })();
    expect(thrown).toBe(false);
    await expect(p).rejects.toThrow('reading');
  });
  it('pass the arguments and the answer through', async () => {
    vi.mocked(bindings.Ping).mockResolvedValue({ echo: 'hi', receivedAt: 'now' });
    await expect(AppService.Ping('hi')).resolves.toEqual({ echo: 'hi', receivedAt: 'now' });
    expect(bindings.Ping).toHaveBeenLastCalledWith('hi');
  });
});
