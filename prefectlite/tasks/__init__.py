"""Building-block tasks: constants, function tasks, collections, operators and control flow."""
