"""The positions feature: the list of openings, one page per position, the feed."""
