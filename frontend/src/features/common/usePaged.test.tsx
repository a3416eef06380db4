import { act, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { usePaged, type Page } from './PagedList';

function Total({ k, fetchPage }: { k: string; fetchPage: (key: string) => Promise<Page<string>> }) {
  const p = usePaged(k, () => fetchPage(k));
  return <span data-testid="total">{p.error ? `error ${p.error.code}` : String(p.total)}</span>;
}

// The backend answers "canceled" to a search a newer one superseded (report.View.NewestOperations).
describe('usePaged and superseded searches', () => {
  it('asks again for a filter that is the newest again when its superseded answer arrives', async () => {
    const answers: { key: string; resolve: (p: Page<string>) => void; reject: (e: unknown) => void }[] = [];
    const fetchPage = vi.fn(
      (key: string) =>
        new Promise<Page<string>>((resolve, reject) => {
          answers.push({ key, resolve, reject });
        }),
    );
    const { rerender } = render(<Total k="a" fetchPage={fetchPage} />);
    rerender(<Total k="ab" fetchPage={fetchPage} />);
    rerender(<Total k="a" fetchPage={fetchPage} />); // "a" is still being asked: not asked twice
    expect(answers.map((a) => a.key)).toEqual(['a', 'ab']);
    await act(async () => {
      answers[1].reject({ code: 'canceled', message: 'a newer search replaced this one' }); // "ab", superseded: dropped
      answers[0].reject({ code: 'canceled', message: 'a newer search replaced this one' }); // "a", superseded by "ab"
    });
    expect(answers.map((a) => a.key)).toEqual(['a', 'ab', 'a']);
    await act(async () => answers[2].resolve({ rows: ['x'], total: 7 }));
    expect(screen.getByTestId('total').textContent).toBe('7');
  });

  it('shows other errors of the newest filter', async () => {
    const fetchPage = vi.fn(() => Promise.reject({ code: 'not_found', message: 'this report is no longer open' }));
    render(<Total k="a" fetchPage={fetchPage} />);
    await act(async () => {});
    expect(screen.getByTestId('total').textContent).toBe('error not_found');
    expect(fetchPage).toHaveBeenCalledTimes(1);
  });
});
