"""Bridgekeeper: the tray app that shows extensions' prompts and keeps their secrets."""

__version__ = "0.1.0"
