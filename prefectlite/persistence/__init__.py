"""Persistence: the run journal, its rows and log records, resuming, checkpointing and the
persisted cache.

Nothing here is needed by a plain ``flow.run()``; the engine reaches this package only when a
run asks for results to be written or for a journal.
"""
