"""Period and year-end closing, and the sharing of the year's surplus (SHU).

- :mod:`kopcore._yearend.closing`: closing a month (no more postings dated in it except an
  authorised adjusting entry), closing a financial year (income and expenses into the
  current-year SHU), the trial balance snapshotted at each close and its verification;
- :mod:`kopcore._yearend.shu`: the SHU allocation per the statutes, drafted for the annual
  members' meeting (RAT), approved by a second person and posted.

The built-in plugin :mod:`kopcore.plugins.yearend_ops` exposes them as operations and refuses
postings dated in a closed period through ``kopcore_veto_entry``. See docs/yearend.md.
"""
