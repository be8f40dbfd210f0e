"""The demo seed: two employers, the demo members employed by them and this month's lists,
after the product plugins seeded theirs (the order ``kopcore demo`` runs the seeds in)."""

from __future__ import annotations

from kopcore.testing import Cooperative, KernelFactory


def test_demo_seed_makes_employers_employments_and_lists(make_kernel: KernelFactory) -> None:
    coop = Cooperative(make_kernel(plugins=("savings", "loans", "payroll")))
    coop.call("accounts.open-internal", name="Bank BPD", gl_key="bank", number="BANK-BPD")
    members = [coop.member(name) for name in ("Ni Luh Putu Ayu", "I Made Wirawan", "Komang")]
    seeds = sorted((seed for _plugin, result in coop.kernel.plugins.call("kopcore_demo_seed")
                    for seed in result), key=lambda s: (s.order, s.name))
    assert seeds[-1].name == "payroll"
    for seed in seeds:
        coop.kernel.write("admin", seed.seed, operation=seed.operation)
    employers = [e["code"] for e in coop.call("payroll.employers")["items"]]
    assert employers == ["DISDIK", "RSUD"]
    staff = {e["member"] for code in employers
             for e in coop.call("payroll.employees", employer=code)["items"]}
    assert staff == set(members)
    period = coop.kernel.read("admin", lambda ctx: f"{ctx.business_date:%Y}-"
                                                   f"{ctx.business_date.month + 1:02d}")
    for code in employers:
        shown = coop.call("payroll.show", employer=code, period=period)
        assert shown["status"] == "listed"
    coop.books_balance()
