"""Subscribing: the form, the double opt-in, the pages a subscription's links open."""
