"""Mail logs: finding them, scanning for problems fast, and tracing one message."""
