"""Deliver rendered output: atomic private files, the tar bundle, mail through local sendmail."""
