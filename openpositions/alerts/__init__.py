"""Job alerts by email: subscribing with double opt-in, announcing new openings, the operator's
tools; the models and the links they share at the root."""
