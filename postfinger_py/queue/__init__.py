"""The Postfix queue: `postqueue -j` and `mailq` parsers, qshape's algorithm, and choosing a source."""
