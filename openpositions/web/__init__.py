"""What every page goes through: security headers, request ids, templates, caching, errors."""
