"""Units (单位): the businesses, shops, cooperatives and associations of a village, kept on the roster beside the
households. Scheme 4 keeps a points account for each; a unit is therefore never deleted, only archived.

`services` changes them (each service checks the member's right itself), `selectors` reads them for pages, the
API and the roster import, `forms` checks the shape of the pages' input.
"""
