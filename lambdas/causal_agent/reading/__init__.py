"""The question reader: what a question or a reply asks of a dataset's columns."""
