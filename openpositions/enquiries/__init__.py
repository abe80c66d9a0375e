"""The enquiry feature: the model and running totals here; each stage in a package of its own."""
