"""Helpers that sit beside the graph model: the task decorator, edge markers, context, logging."""
