"""Sending an enquiry's mails through the queue: composing, retrying, noticing lost ones."""
