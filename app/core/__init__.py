"""The app's core: requests, decisions and state, in plain Python without widgets."""
