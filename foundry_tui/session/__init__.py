"""A conversation's rules and its turn loop, shared by the app and `ask`.

This package sits above `service/` (the HTTP client and its typed events) and `store/` (the
history, which itself imports service types), and below `ui/` and `commands/`: a rule both the app
and the CLI need lives here once. It never imports Textual.
"""
