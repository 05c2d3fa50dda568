"""Core building-block tasks (Prefect 1's ``prefect.tasks.core``)."""
