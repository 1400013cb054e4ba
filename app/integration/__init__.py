"""Browser integration: where each browser looks for native messaging hosts, and the
install, uninstall, status, doctor and repair that keep our host registered there."""
