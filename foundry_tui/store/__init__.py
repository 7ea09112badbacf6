"""The history: conversations and the usage log in one SQLite file (see `db` for why it is safe).

- `store.Store`: the synchronous API, for the headless commands.
- `async_store.AsyncStore`: the same on a writer thread, for code on an event loop; its
  `start_turn()` returns a `recorder.TurnRecorder` to feed a streaming turn's events.
- `export`: a conversation as Markdown or JSON.

Nothing is imported here, so catching `errors.StoreError` costs no SQLite import.
"""
