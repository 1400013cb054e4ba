"""The widgets: prompt dialogs, the tray icon and its windows. A thin layer over app.core."""
