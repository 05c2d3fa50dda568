"""Core building-block tasks (Prefect 1's ``prefect.tasks.core``): all of its modules are
imported with the package, so ``prefectlite.tasks.core.constants.Constant`` works after
``import prefectlite``."""

from prefectlite.tasks.core import (  # noqa: F401 - the submodules are the package's API
    collections,
    constants,
    function,
    operators,
    resource_manager,
)
