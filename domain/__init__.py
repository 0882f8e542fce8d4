"""Pure types and rules shared by every part of liftwatch (no I/O)."""
