"""The operator's tools: the `flask enquiries` commands, the CSV export, metrics, retention."""
