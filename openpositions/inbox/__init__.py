"""Domain code for enquiries: storing them, composing their mails, delivering, deleting."""
