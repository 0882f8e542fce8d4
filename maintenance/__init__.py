"""On-demand maintenance plans, rescue cases and tiered dispatch, notifications."""
