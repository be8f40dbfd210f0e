from kopcore import ledger
from kopcore.errors import InsufficientFunds
from tests.builders import active_member, capitalise, cash_account, member_account, rp, transfer


def test_deposit_then_overdraw_is_refused_and_books_stay_balanced(kernel):
    def work(ctx):
        cash = cash_account(ctx)
        capitalise(ctx, cash.number, rp("1000000"))
        member = active_member(ctx)
        savings = member_account(ctx, member)
        transfer(ctx, cash.number, savings.number, rp("250000"))
        return savings.number

    number = kernel.write("teller", work)
    try:
        kernel.write("teller", lambda ctx: transfer(ctx, number, "CASH-01", rp("250001")))
    except InsufficientFunds:
        pass
    else:
        raise AssertionError("overdraft was accepted")
    account = kernel.read("auditor", lambda ctx: ledger.get_account(ctx, number))
    assert account.balance == rp("250000")
    assert kernel.read("auditor", ledger.ledger_invariants) == []
