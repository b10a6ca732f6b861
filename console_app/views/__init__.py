"""The console's pages (console_app.urls): thin views that parse, call one function of
console_app.queries (reading) or console_app.actions (acting), and render."""
