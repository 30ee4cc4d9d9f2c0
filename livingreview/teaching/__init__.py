"""Teaching chapters: the methods of the review explained on its own data."""
