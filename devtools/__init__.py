"""Tools for development only; `make run` starts the mail sink."""
