import { render } from '@testing-library/react';
import { vi } from 'vitest';
import * as D from '../../wailsjs/go/app/DirectoryService';
import type { backend } from '../../wailsjs/go/models';
import { EditConnection } from '../features/directories/DirectoryPage';
import { FlagsProvider } from '../lib/flags';

/**
 * Renders the Connection tab of dir as the directory page does, with the backend's Update
 * answering dir. The test file mocks app/DirectoryService (vi.mock), which this module's import
 * then is.
 */
export function renderEditConnection(dir: backend.Directory) {
  vi.mocked(D.Update).mockImplementation(async () => dir);
  return render(
    <FlagsProvider>
      <EditConnection dir={dir} onSaved={() => {}} />
    </FlagsProvider>,
  );
}
