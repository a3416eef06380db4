import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useAction } from './action';

describe('useAction', () => {
  it('is busy while the call runs, keeps its coded error, and clears it when run again', async () => {
    const { result } = renderHook(() => useAction());
    let finish!: () => void;
    let first!: Promise<boolean>;
    act(() => {
      first = result.current.run(() => new Promise<void>((r) => (finish = r)));
    });
    expect(result.current.busy).toBe(true);
    await act(async () => {
      finish();
      expect(await first).toBe(true);
    });
    expect(result.current.busy).toBe(false);
    expect(result.current.error).toBeNull();

    await act(async () => {
      const ok = await result.current.run(() => Promise.reject({ code: 'not_found', message: 'this report is no longer open' }));
      expect(ok).toBe(false);
    });
    expect(result.current.busy).toBe(false);
    expect(result.current.error).toMatchObject({ code: 'not_found', message: 'this report is no longer open' });

    let again!: Promise<boolean>;
    act(() => {
      again = result.current.run(() => new Promise<void>((r) => (finish = r)));
    });
    expect(result.current.error).toBeNull();
    await act(async () => {
      finish();
      await again;
    });
  });
});
