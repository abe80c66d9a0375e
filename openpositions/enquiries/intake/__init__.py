"""Taking in an enquiry: the form and its checks, the CV, spam traps, storing it once."""
