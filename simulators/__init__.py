"""Synthetic city fleet, elevator behaviour and fault injection with ground truth."""
