"""postfinger-py: gather what helpers need to diagnose a Postfix problem into one report."""

__version__ = "0.1.0"
