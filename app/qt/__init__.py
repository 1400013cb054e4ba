"""Qt adapters that are not widgets: timers, the worker thread, the socket server, the
signal watcher. They implement the core's protocols on Qt's event loop."""
