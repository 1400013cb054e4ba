"""The operating system's edges, without Qt: folders, settings files, the keychain, start
at login, the instance lock, bundled resources."""
