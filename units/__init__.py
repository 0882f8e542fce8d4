"""User units (使用单位) as first-class records: safety staff and their certificates,
the 日管控、周排查、月调度 checklists and records, and their completion (docs/hazards.md)."""
