"""Pages that are neither positions nor the form: legal and privacy notices, crawlers, old links."""
