"""The version of prefectlite (``prefectlite.__version__``), in a module of its own so that
the packages that record it (the run journal) need not import the whole package."""

__version__ = "0.1.0"
