"""One module per read model: its row, its view and its queries together."""
