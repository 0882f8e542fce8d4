"""The composition root: settings, the ``liftwatch`` CLI, service wiring, embedded mode."""
