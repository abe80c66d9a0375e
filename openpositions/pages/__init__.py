"""Pages that are neither positions nor the form: the privacy notice and the legal notice."""
