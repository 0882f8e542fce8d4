"""Sub-commands of the `liftwatch` CLI, one module per part of the system."""
