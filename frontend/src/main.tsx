import '@atlaskit/css-reset';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './app.css';
import { applyThemeMode, loadThemeMode } from './lib/theme';

void applyThemeMode(loadThemeMode());

// No <StrictMode>: under React 19's development double mount, Atlaskit's ModalTransition never
// shows its dialog (seen in `wails dev` and the e2e test), while production builds are fine.
// Development must behave like what ships.
createRoot(document.getElementById('root')!).render(<App />);
