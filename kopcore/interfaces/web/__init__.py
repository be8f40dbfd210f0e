"""The staff web app at ``/app``: the third face of every operation, beside route and command.

Server-rendered pages (Jinja2 templates), a small vendored script (htmx, with its licence in
``static/``), no build step and nothing from the internet: everything is served from this
package. People sign in with a username and a password (:mod:`kopcore._logins`); every action
runs through :func:`kopcore._service.invoke`, so the web app has the same users, roles,
permission checks, idempotency, approvals and audit trail as the API and the CLI.

- ``/app/`` the home page: the business date, the person's tasks, plugins' dashboard panels;
- ``/app/op/<operation>`` the generated form and result of every operation the person's role
  may call, grouped by plugin in the navigation;
- ``/app/teller`` the teller's counter: find a member, their accounts and loans, deposit,
  withdraw, repay, pay a bill, confirm, print the slip;
- ``/app/cs`` the customer-service desk: register (the NIK checked as typed), activate, open
  accounts, change contact details, a member's exit after seeing what it would pay;
- ``/app/loans`` the loan officer's desk: application, simulation, collateral and guarantors,
  the managers' queue of applications, disbursement and the printable agreement and schedule;
  ``/app/loans/groups`` the loan groups (tanggung renteng) with their arrears, each meeting's
  printable collection sheet and its result entered as one batch;
- ``/app/cash`` the teller's cash position and the count of the drawer, recorded;
  ``/app/cash/counts`` the day's counts and their differences for the supervisor;
- ``/app/pages/<name>`` the pages plugins add (``kopcore_web_pages``);
- ``/app/approvals`` the managers' approvals inbox (maker-checker);
- ``/app/eod`` end of day with each task's progress while it runs;
- ``/app/reports`` the reports as pages that print on A4;
  ``/app/reports/kesehatan/kuesioner`` the health questionnaire, all questions of a regime
  answered for a position date in one form;
- ``/app/audit`` the audit trail search for auditors.

docs/web.md describes it for operators and plugin vendors.
"""

from __future__ import annotations

from litestar.static_files import create_static_files_router

from kopcore.interfaces._shared import AppRouter
from kopcore.interfaces.web._audit import audit_handlers
from kopcore.interfaces.web._base import PREFIX, STATIC, Web
from kopcore.interfaces.web._eod import eod_handlers
from kopcore.interfaces.web._inbox import inbox_handlers
from kopcore.interfaces.web._loan_groups import loan_group_handlers
from kopcore.interfaces.web._loan_officer import loan_officer_handlers
from kopcore.interfaces.web._pages import page_handlers
from kopcore.interfaces.web._questionnaire import questionnaire_handlers
from kopcore.interfaces.web._reports import reports_handlers
from kopcore.interfaces.web._service_desk import service_desk_handlers
from kopcore.interfaces.web._teller import teller_handlers
from kopcore.interfaces.web._tills import till_handlers
from kopcore.kernel import Kernel


def web_router(kernel: Kernel) -> AppRouter:
    """The web app's routes for a started kernel, mounted at ``/app``."""
    web = Web(kernel)
    static = create_static_files_router(path="/static", directories=[STATIC],
                                        include_in_schema=False,
                                        cache_control=None)
    return AppRouter(path=PREFIX, route_handlers=[*page_handlers(web), *teller_handlers(web),
                                                *till_handlers(web),
                                                *inbox_handlers(web), *eod_handlers(web),
                                                *reports_handlers(web),
                                                *questionnaire_handlers(web),
                                                *audit_handlers(web),
                                                *service_desk_handlers(web),
                                                *loan_officer_handlers(web),
                                                *loan_group_handlers(web),
                                                static], include_in_schema=False)


__all__ = ["web_router"]
