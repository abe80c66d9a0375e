"""Mail for every feature: the relay connection and its timeouts, headers, addresses, composing."""
