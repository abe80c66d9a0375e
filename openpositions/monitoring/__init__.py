"""What the operator's monitoring reads: health checks, and /metrics from what features count."""
