"""Route modules, one per part of the domain."""
