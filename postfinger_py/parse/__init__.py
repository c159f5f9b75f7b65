"""Pure parsers of Postfix and system output formats: text in, plain data out, nothing run."""
