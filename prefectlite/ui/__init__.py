"""The dashboard: a read-only web application over the run journal (``prefectlite ui``).

Needs the ``ui`` extra (Starlette, uvicorn, Jinja2); ``import prefectlite`` never loads it.
:func:`prefectlite.ui.app.create_app` builds the ASGI application for one journal file;
:mod:`prefectlite.ui.views` computes what each page shows.
"""
