"""The enquiry feature: the form that replaces the mailto: link, storing, mailing, delivery."""
