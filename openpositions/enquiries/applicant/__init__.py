"""The applicant's own pages through the private link: see, download, withdraw."""
