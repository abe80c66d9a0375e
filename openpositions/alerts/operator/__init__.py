"""The operator's tools: `flask alerts`, the export, and what /metrics reports of the alerts."""
