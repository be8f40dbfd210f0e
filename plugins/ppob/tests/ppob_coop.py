"""The test cooperative of kopcore-ppob's tests: :mod:`kopcore_ppob.testing` (shared with the
provider plugins' tests)."""

from kopcore_ppob.testing import CASH, FEE, PAYABLE, SUSPENSE, Coop, SettlementStandIn

__all__ = ["CASH", "FEE", "PAYABLE", "SUSPENSE", "Coop", "SettlementStandIn"]
