"""The text stage, in the order data flows: a post's compiled HTML -> Blocks of prose (extract)
-> engine-sized Segments (segment). Block and the tidying every text gets live in blocks."""
