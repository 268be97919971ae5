"""Roster import and export: the template, reading .xlsx/.csv, validating every row, committing in one go.

A workbook carries the households (the first sheet: one row per resident as in the template, or the clerk's own
sheet with one row per household naming its head) and the units (the sheet 单位, `unit_validation`); both are
checked together and written together, or not at all.

upload → `parsing.read_roster_file` (bytes → rows; columns recognised by the synonyms of `headers`; formulas and
merged cells refused) → `services.create_batch` (applies a mapping remembered for the village, keeps the rows) →
`validation.validate_rows` (rows → plan + every error for every mapped field; writes nothing; households already
on file and unchanged are skipped, `existing`) → `services.map_columns` (the clerk's choice of columns, `mapping`,
checked again without a new upload and remembered per village) → `services.commit_batch` (validates again, writes
in one transaction). `services.purge_import_identities` masks the kept ID numbers after the retention period.
`layout` holds the template's columns, `export` writes the template and the roster, `selectors` reads batches for
the pages, `jobs` runs a big export (households' ready imports it to register it).
"""
