"""Exports of the books for tools kopcore does not control: the journal, GL balances and
member accounts as XLSX or CSV for any period (:mod:`kopcore._export.books`), and the whole
books in beancount's plain-text format (:mod:`kopcore._export.beancount`), which beancount's own
``bean-check`` verifies. See docs/import-export.md."""
