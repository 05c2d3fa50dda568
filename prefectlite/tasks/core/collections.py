"""Tasks that assemble their inputs into a list, tuple, set or dict (Prefect 1's path; they
live in :mod:`prefectlite.core.values`)."""

from prefectlite.core.values import Dict, List, Set, Tuple, VarArgsTask

__all__ = ["VarArgsTask", "List", "Tuple", "Set", "Dict"]
