"""Sharia contracts in a cut-over import: a murabahah half paid comes in with its receivable
and deferred margin (DOMAIN.md's example), a mudharabah savings account with its pool and
nisbah; a receivable the contract does not give is reported."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from kopcore_sharia.mudharabah import Basis, create_pool, get_holding
from kopcore_sharia.murabahah import get_contract
from openpyxl import Workbook

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import ImportRefused
from kopcore.kernel import Kernel
from kopcore.testing import add_user, run_operation

AS_OF = date(2026, 1, 4)


def workbook(sheets: dict[str, list[dict[str, Any]]]) -> bytes:
    book = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        columns = list(dict.fromkeys(c for row in rows for c in row))
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def kernel(make_kernel: Callable[..., Kernel]) -> Kernel:
    kernel = make_kernel(plugins=("sharia",))

    def setup(ctx: Context) -> None:
        add_user(ctx, "admin", "admin")
        create_pool(ctx, code="UMUM", name="Pool umum", basis=Basis.REVENUE,
                    nisbah_ppm=600_000, rounding_unit=100)

    kernel.write("system", setup)
    return kernel


def send(kernel: Kernel, operation: str, content: bytes) -> Any:
    raw = {"content": base64.b64encode(content).decode(), "as_of": AS_OF.isoformat()}
    return run_operation(kernel, operation, raw, as_user="admin", from_text=True)


CONTRACT = {"nomor_akad": "MB-1", "nomor_anggota": "A1", "barang": "Sepeda motor",
            "harga_pokok": 10000000, "margin": 2000000, "jangka": 10,
            "tanggal_akad": "2025-03-01", "angsuran_dibayar": 4, "sisa_piutang": 7200000}


def cutover_file(contract: dict[str, Any]) -> bytes:
    return workbook({
        "anggota": [{"nomor_anggota": "A1", "nama": "Siti Aminah", "nik": "3201016107920003",
                     "tanggal_masuk": "2019-03-01"}],
        "murabahah": [contract],
        "mudharabah": [{"nomor_rekening": "MD-1", "nomor_anggota": "A1", "pool": "UMUM",
                        "jenis": "tabungan", "saldo": 5000000, "nisbah": 65,
                        "tanggal_buka": "2024-01-10"}],
        "neraca_saldo": [{"kode_akun": "1101", "debit": 2000000},
                         {"kode_akun": "1151", "debit": 7200000},
                         {"kode_akun": "1152", "kredit": 1200000},
                         {"kode_akun": "2122", "kredit": 5000000},
                         {"kode_akun": "3103", "kredit": 3000000}],
    })


def test_a_murabahah_half_paid_and_a_mudharabah_account_import(kernel: Kernel) -> None:
    send(kernel, "import.run", cutover_file(CONTRACT))

    def read(ctx: Context) -> Any:
        return get_contract(ctx, "MB-1"), get_holding(ctx, "MD-1")

    contract, holding = kernel.read("auditor", read)
    assert contract.account.balance.minor == 720000000
    assert (contract.paid_installments, contract.margin_recognised) == (4, 80000000)
    assert holding.nisbah_ppm == 650_000
    assert kernel.read("auditor", lambda ctx: ledger.get_account(
        ctx, "GL-sharia.murabahah_deferred_margin").balance.minor) == 120000000
    assert kernel.read("auditor", ledger.ledger_invariants) == []


def test_a_receivable_the_contract_does_not_leave_is_reported(kernel: Kernel) -> None:
    report = send(kernel, "import.check", cutover_file(dict(CONTRACT, sisa_piutang=7000000)))

    assert [(p["sheet"], p["row"], p["column"]) for p in report["problems"]] == [
        ("murabahah", 2, "sisa_piutang")]
    assert "Rp7.200.000,00" in report["problems"][0]["message"]
    with pytest.raises(ImportRefused):
        send(kernel, "import.run", cutover_file(dict(CONTRACT, sisa_piutang=7000000)))
