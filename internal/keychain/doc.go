// Package keychain keeps every secret of IdP Sync in the operating system's keychain (Windows
// Credential Manager, macOS Keychain, the Secret Service on Linux) through go-keyring, and never
// anywhere else in plain text.
//
// Three things are added on top of go-keyring:
//
//   - A timeout and a context on every call. go-keyring has neither, and a locked Secret Service
//     with a display present waits forever for an unlock prompt; a call that does not answer in
//     time returns apperr.KeychainTimeout and later calls are refused until it comes back.
//   - Stable error codes with the platform's remedy (apperr.KeychainUnavailable,
//     apperr.SecretMissing), so screens and the CLI can say what to do.
//   - An Envelope for blobs too big for one item (the MSAL token cache is 6–10 KB with real
//     tokens; Windows takes 2,560 bytes per item and go-keyring's macOS backend about 4 KB): the
//     blob is sealed with AES-256-GCM into a 0600 file in the app's folder, and the random 32-byte
//     key is the keychain item. The file alone reveals nothing; a lost key means "sign in again".
//
// Atlassian API keys are items that carry the date they were stored (APIKey), because Atlassian
// keys expire a year after creation and the screens warn before that.
//
// Memory is an in-process Store for demo mode and for other packages' tests. The backend picks it
// only in demo mode; production code never falls back to it.
package keychain
