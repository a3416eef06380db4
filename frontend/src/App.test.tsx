import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';

// The generated bindings call window.go, which only Wails provides; the tests stand in for Go.
vi.mock('../wailsjs/go/app/AppService', () => ({
  About: vi.fn(),
  Ping: vi.fn(),
}));
vi.mock('@atlaskit/tokens/set-global-theme', () => ({ setGlobalTheme: vi.fn(() => Promise.resolve()) }));
// The admin screens' services (their own tests cover them): no directory and no run yet.
vi.mock('../wailsjs/go/app/DirectoryService', () => ({
  List: vi.fn(() => Promise.resolve([])),
  DemoDefaults: vi.fn(() => Promise.resolve({ demo: false })),
}));
vi.mock('../wailsjs/go/app/SyncService', () => ({ History: vi.fn(() => Promise.resolve([])) }));
vi.mock('../wailsjs/go/app/ReportService', () => ({}));

import * as AppService from '../wailsjs/go/app/AppService';
import { setGlobalTheme } from '@atlaskit/tokens/set-global-theme';

const about = { name: 'IdP Sync', version: 'v1.2.3 (abc)', platform: 'linux/amd64', dataDir: '/home/a/.config/idpsync', demo: false };

beforeEach(() => {
  vi.mocked(AppService.About).mockReset().mockResolvedValue(about);
  vi.mocked(AppService.Ping).mockReset();
  vi.mocked(setGlobalTheme).mockClear();
});

describe('shell', () => {
  it('opens on Identity providers with the empty state', async () => {
    render(<App />);
    expect(screen.getByTestId('top-bar')).toHaveTextContent('IdP Sync');
    expect(screen.getByTestId('page-identity-providers')).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'Identity providers' })).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: 'Add identity provider' })).toBeInTheDocument();
    await waitFor(() => expect(AppService.About).toHaveBeenCalled());
  });

  it('lists Identity providers under Security and navigates between pages', async () => {
    const user = userEvent.setup();
    render(<App />);
    const nav = screen.getByTestId('side-nav');
    expect(within(nav).getByText('Security')).toBeInTheDocument();
    await user.click(within(nav).getByText('Sync history'));
    expect(await screen.findByText('No sync runs yet')).toBeInTheDocument();
    expect(window.location.hash).toBe('#/sync-history');
    await user.click(within(nav).getByText('Identity providers'));
    expect(screen.getByTestId('page-identity-providers')).toBeInTheDocument();
  });

  it('opens a page from the URL hash', () => {
    window.location.hash = '#/sync-history';
    render(<App />);
    expect(screen.getByTestId('page-sync-history')).toBeInTheDocument();
  });

  it('has no placeholder Users or Groups page', () => {
    render(<App />);
    const nav = screen.getByTestId('side-nav');
    expect(within(nav).queryByText('Users')).toBeNull();
    expect(within(nav).queryByText('Groups')).toBeNull();
  });

  it('"?" opens help for the current screen, with Microsoft\'s and Atlassian\'s pages, and About from there', async () => {
    const user = userEvent.setup();
    window.location.hash = '#/sync-history';
    render(<App />);
    await user.click(screen.getByRole('button', { name: 'Help for this screen' }));
    const help = await screen.findByTestId('help-dialog');
    expect(help).toHaveTextContent('Help: Sync history');
    expect(help).toHaveTextContent('how many of its changes were made');
    await user.click(within(help).getByTestId('help-about'));
    expect(await screen.findByTestId('about-dialog')).toBeInTheDocument();
  });

  it('starts the add flow with the provider choice', async () => {
    const user = userEvent.setup();
    render(<App />);
    await user.click(await screen.findByRole('button', { name: 'Add identity provider' }));
    const step = await screen.findByTestId('add-step-provider');
    expect(step).toHaveTextContent('Microsoft Azure AD');
    expect(step).toHaveTextContent('Not available in this app');
  });

  it('shows the demo lozenge only for the demo tenant', async () => {
    vi.mocked(AppService.About).mockResolvedValue({ ...about, demo: true });
    render(<App />);
    expect(await screen.findByText('Demo tenant')).toBeInTheDocument();
  });

  it('cycles the theme through system, light and dark', async () => {
    const user = userEvent.setup();
    render(<App />);
    const toggle = screen.getByTestId('theme-toggle');
    expect(toggle).toHaveTextContent('Theme: system');
    await user.click(toggle);
    expect(toggle).toHaveTextContent('Theme: light');
    expect(setGlobalTheme).toHaveBeenLastCalledWith(expect.objectContaining({ colorMode: 'light' }));
    await user.click(toggle);
    expect(setGlobalTheme).toHaveBeenLastCalledWith(expect.objectContaining({ colorMode: 'dark' }));
    expect(window.localStorage.getItem('idpsync.theme')).toBe('dark');
  });

  it('shows a coded error flag when About fails', async () => {
    vi.mocked(AppService.About).mockRejectedValue({ code: 'internal', message: 'About failed unexpectedly', action: 'Try again.' });
    render(<App />);
    expect(await screen.findByText('Could not read the app details')).toBeInTheDocument();
    expect(screen.getByText(/About failed unexpectedly Try again\. \(Error code: internal\)/)).toBeInTheDocument();
  });
});

describe('About dialog', () => {
  it('shows the build and round-trips a ping', async () => {
    vi.mocked(AppService.Ping).mockResolvedValue({ echo: 'hello', receivedAt: '2026-11-27T03:00:00Z' });
    const user = userEvent.setup();
    render(<App />);
    await waitFor(() => expect(AppService.About).toHaveBeenCalled());
    await user.click(screen.getByRole('button', { name: 'Help for this screen' }));
    await user.click(await screen.findByTestId('help-about'));
    const dialog = await screen.findByTestId('about-dialog');
    expect(within(dialog).getByTestId('about-version')).toHaveTextContent('v1.2.3 (abc)');
    expect(within(dialog).getByTestId('about-datadir')).toHaveTextContent('/home/a/.config/idpsync');
    await user.type(within(dialog).getByTestId('ping-input'), 'hello');
    await user.click(within(dialog).getByTestId('ping-send'));
    expect(await within(dialog).findByTestId('ping-reply')).toHaveTextContent('“hello” at 2026-11-27T03:00:00Z');
    expect(AppService.Ping).toHaveBeenCalledWith('hello');
  });

  it('shows the message, action and code of a rejected call', async () => {
    vi.mocked(AppService.Ping).mockRejectedValue({ code: 'invalid_input', message: 'the message is empty', action: 'Type a few characters.' });
    const user = userEvent.setup();
    render(<App />);
    await user.click(screen.getByRole('button', { name: 'Help for this screen' }));
    await user.click(await screen.findByTestId('help-about'));
    const dialog = await screen.findByTestId('about-dialog');
    await user.click(within(dialog).getByTestId('ping-send'));
    const err = await within(dialog).findByTestId('ping-error');
    expect(err).toHaveTextContent('the message is empty');
    expect(err).toHaveTextContent('Type a few characters.');
    expect(err).toHaveTextContent('Error code: invalid_input');
  });
});
