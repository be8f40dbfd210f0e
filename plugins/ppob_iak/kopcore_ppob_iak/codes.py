"""IAK's prepaid response codes, as data.

From IAK's API documentation, "Prepaid > Response Code" (api.iak.id/api/prepaid/response-code):
each ``rc`` with its description and status. Where the page could not be read in full, the
codes IAK's own server SDK names (``@iak-id/iak-api-server-js``, responseFormatterHelpers: 103,
201, 202, 204, 208) are added. A code not listed here decides nothing: the purchase stays
pending for an operator.

Unlike Digiflazz, IAK's table has no "transaction created" column. ``settles`` is kopcore's
reading of each description: a code that reports what became of the purchase (failed, the
number blocked or wrong, a daily limit for the number…) settles it; a code that refuses the
request (deposit short, product code unknown, wrong authentication, no transaction with this
ref_id) does not — on a status check it says nothing about a purchase that may have been made.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class ResponseCode:
    rc: str
    description: str
    #: Success, Pending or Failed, as documented.
    status: str
    settles: bool


_TABLE: tuple[tuple[str, str, str, bool], ...] = (
    ("00", "SUCCESS", "Success", True),
    ("06", "TRANSACTION NOT FOUND", "Failed", False),
    ("07", "FAILED", "Failed", True),
    ("10", "REACH TOP UP LIMIT USING SAME DESTINATION NUMBER IN 1 DAY", "Failed", True),
    ("12", "BALANCE MAXIMUM LIMIT EXCEEDED", "Failed", True),
    ("13", "CUSTOMER NUMBER BLOCKED", "Failed", True),
    ("14", "INCORRECT DESTINATION NUMBER", "Failed", True),
    ("16", "NUMBER NOT MATCH WITH OPERATOR", "Failed", True),
    ("17", "INSUFFICIENT DEPOSIT", "Failed", False),
    ("18", "NUMBER NOT AVAILABLE", "Failed", True),
    ("19", "NUMBER IS ALREADY IN USE", "Failed", True),
    ("20", "CODE NOT FOUND", "Failed", False),
    ("39", "PROCESS", "Pending", True),
    ("103", "TIMEOUT", "Failed", False),
    ("201", "UNDEFINED RESPONSE CODE", "Failed", False),
    ("202", "MAXIMUM 1 NUMBER 1 TIME IN 1 DAY", "Failed", False),
    ("204", "WRONG AUTHENTICATION", "Failed", False),
    ("208", "INVALID DATA", "Failed", False),
)

RESPONSE_CODES: dict[str, ResponseCode] = {row[0]: ResponseCode(*row) for row in _TABLE}
