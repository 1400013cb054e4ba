"""Subcommands of ``bridgekeeper``: each module adds its own to the parser with
``register(subparsers)`` and sets ``command=<function(args) -> exit code>``."""
