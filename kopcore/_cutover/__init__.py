"""Cut-over: bringing an existing cooperative's books into kopcore from spreadsheets.

A cooperative's staff download the template (``kopcore import template``), fill one sheet per
kind of record (the opening trial balance, members, internal accounts, and each product
plugin's accounts, through the hook ``kopcore_import_sheets``), check the file
(``kopcore import check``: every problem with its sheet, row and column, nothing written) and
import it as of the cut-over date (``kopcore import run``): all or nothing, once per file, and
only when kopcore's trial balance then equals the file's to the rupiah. See
docs/import-export.md.
"""
