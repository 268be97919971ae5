"""Roster import and export: the template, reading .xlsx/.csv, validating every row, committing in one go.

A workbook carries the households (one row per resident, the first sheet) and the units (the sheet 单位,
`unit_validation`); both are checked together and written together, or not at all.

upload → `parsing.read_roster_file` (bytes → rows) → `validation.validate_rows` (rows → plan + every error; writes
nothing) → `services.create_batch` (keeps the rows for the preview) → `services.commit_batch` (validates again,
writes in one transaction). `layout` holds the file's columns, `export` writes the template and the roster,
`selectors` reads batches for the pages, `jobs` runs a big export (households' ready imports it to register it).
"""
