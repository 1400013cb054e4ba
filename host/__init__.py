"""bridgekeeper-host: the native messaging host browsers start; standard library only."""
