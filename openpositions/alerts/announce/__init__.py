"""Announcing: what the site saw open, the alert mails it makes of that, and sending them."""
