"""What each page of the book shows: safe HTML, figures, and one view per page or chapter."""
