"""Datasets made from CSV files: a typed table read without pandas (``table``), the manifest inferred from it
(``inference``), uploads (``uploads``) and the bundled datasets with known answers (``bundled``, the only
module that needs pandas and the analysis stack)."""
