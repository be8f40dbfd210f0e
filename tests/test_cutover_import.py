"""The cut-over import: the template, the dry run's problems by sheet, row and column, the
import all or nothing and once per file, the reconciliation, the CLI's --file and --output, and
the hook kopcore_import_sheets through the example plugin."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from kopcore import ledger
from kopcore.errors import BusinessDateError, Conflict, ImportRefused
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.testing import KernelFactory
from tests.cutover_support import call, csv_zip, xlsx
from tests.interfaces_support import run_console, write_settings

AS_OF = date(2026, 1, 4)
MEMBERS = [
    {"nomor_anggota": "A1", "nama": "Siti Aminah", "nik": "3201016107920003",
     "tanggal_masuk": "2019-03-01", "telepon": "081234567890"},
    {"nomor_anggota": "A2", "nama": "Budi Santoso", "nik": "3201011507920004",
     "tanggal_masuk": date(2020, 7, 15), "telepon": None},
]
INTERNAL = [{"nomor_rekening": "KAS-01", "nama": "Kas Teller 1", "kode_akun": "1101",
             "saldo": 2500000}]
TRIAL_BALANCE = [
    {"kode_akun": "1101", "nama_akun": "Kas", "debit": 2500000, "kredit": None},
    {"kode_akun": "1103", "nama_akun": "Bank", "debit": "1.000.000,00", "kredit": None},
    {"kode_akun": "3103", "nama_akun": "Hibah", "debit": None, "kredit": 3500000},
]


def cutover_file(**changes: Any) -> bytes:
    sheets = {"anggota": MEMBERS, "rekening_internal": INTERNAL,
              "neraca_saldo": TRIAL_BALANCE}
    return xlsx({**sheets, **changes})


def gl_net(kernel: Kernel) -> dict[str, int]:
    return kernel.read("auditor", lambda ctx: {
        b.code: b.net for b in ledger.trial_balance(ctx, ctx.business_date)["lines"]})


def test_the_template_has_a_guide_and_a_sheet_per_kind(kernel: Kernel) -> None:
    payload = call(kernel, "import.template").payload
    book = load_workbook(io.BytesIO(base64.b64decode(payload["document"])), read_only=True)

    assert book.sheetnames == ["petunjuk", "anggota", "rekening_internal", "neraca_saldo"]
    header = next(book["anggota"].iter_rows(values_only=True))
    assert header[:4] == ("nomor_anggota", "nama", "nik", "tanggal_masuk")
    guide = [row for row in book["petunjuk"].iter_rows(values_only=True) if row and row[1]]
    assert ("anggota", "nik", "teks", "ya") in [row[:4] for row in guide]


def test_the_csv_template_is_a_zip_with_one_file_per_sheet(kernel: Kernel) -> None:
    payload = call(kernel, "import.template", format="csv").payload
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(payload["document"])))

    assert sorted(archive.namelist()) == ["anggota.csv", "neraca_saldo.csv", "petunjuk.csv",
                                          "rekening_internal.csv"]
    assert archive.read("neraca_saldo.csv").decode("utf-8-sig").strip() == \
        "kode_akun,nama_akun,debit,kredit"


def test_an_import_opens_the_books_equal_to_the_trial_balance(kernel: Kernel) -> None:
    result = call(kernel, "import.run", cutover_file(), as_of=AS_OF).payload

    assert [s["rows"] for s in result["sheets"]] == [2, 1, 3]
    assert gl_net(kernel) == {"1101": 250000000, "1103": 100000000, "3103": -350000000}
    member = kernel.read("auditor", lambda ctx: ledger.get_member(ctx, "A1"))
    assert (member.status.value, member.joined_on) == ("active", date(2019, 3, 1))
    kas = kernel.read("auditor", lambda ctx: ledger.get_account(ctx, "KAS-01"))
    assert (kas.balance, kas.opened_on) == (Money.parse("2500000"), AS_OF)
    assert kernel.read("auditor", ledger.ledger_invariants) == []


def test_the_same_file_imports_once(kernel: Kernel) -> None:
    content = cutover_file()
    first = call(kernel, "import.run", content, as_of=AS_OF).payload
    again = call(kernel, "import.run", content, as_of=AS_OF).payload
    checked = call(kernel, "import.check", content, as_of=AS_OF).payload

    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["digest"] == first["digest"]
    assert again["entries"] == first["entries"]
    assert checked["already_imported"]
    assert checked["ok"]
    assert gl_net(kernel)["1101"] == 250000000


def test_a_different_file_after_an_import_is_refused(kernel: Kernel) -> None:
    call(kernel, "import.run", cutover_file(), as_of=AS_OF)

    with pytest.raises(Conflict, match="sudah berisi"):
        call(kernel, "import.run", cutover_file(anggota=MEMBERS[:1]), as_of=AS_OF)


def test_the_cut_over_date_is_the_business_date_or_the_day_before(kernel: Kernel) -> None:
    with pytest.raises(BusinessDateError):
        call(kernel, "import.check", cutover_file(), as_of=date(2026, 1, 2))


def test_the_dry_run_names_each_problem_by_sheet_row_and_column_and_writes_nothing(
        kernel: Kernel) -> None:
    members = [*MEMBERS,
               {"nomor_anggota": "A1", "nama": "Dua Kali", "nik": "3201016107920003",
                "tanggal_masuk": "2021-01-01", "telepon": "12345"},
               {"nomor_anggota": "A4", "nama": "NIK Salah", "nik": "9901016107920003",
                "tanggal_masuk": "31/02/2021", "telepon": None}]
    internal = [*INTERNAL, {"nomor_rekening": "KAS-01", "nama": "Kas lagi", "kode_akun": "4101",
                            "saldo": "1.000,555"}]

    report = call(kernel, "import.check", cutover_file(anggota=members, rekening_internal=internal),
                  as_of=AS_OF).payload

    assert not report["ok"]
    assert [(p["sheet"], p["row"], p["column"]) for p in report["problems"]] == [
        ("anggota", 4, "nomor_anggota"), ("anggota", 4, "nik"), ("anggota", 4, "telepon"),
        ("anggota", 5, "tanggal_masuk"),
        ("rekening_internal", 3, "saldo"),
    ]
    assert report["problems"][1]["message"] == "NIK sudah dipakai anggota di baris 2"
    assert kernel.read("auditor", lambda ctx: ledger.list_members(ctx)) == []


def test_an_unbalanced_trial_balance_and_an_unknown_sheet_are_reported(kernel: Kernel
                                                                       ) -> None:
    lines = [*TRIAL_BALANCE[:2], {"kode_akun": "3103", "kredit": 3400000},
             {"kode_akun": "9999", "debit": 1}]

    report = call(kernel, "import.check", cutover_file(neraca_saldo=lines, catatan=[{"a": 1}]),
                  as_of=AS_OF).payload

    assert [(p["sheet"], p["row"], p["column"]) for p in report["problems"]] == [
        ("catatan", None, None), ("neraca_saldo", 5, "kode_akun"), ("neraca_saldo", None, None)]
    assert "tidak seimbang" in report["problems"][2]["message"]


def test_an_internal_account_that_differs_from_its_gl_balance_is_refused_with_the_difference(
        kernel: Kernel) -> None:
    lines = [{"kode_akun": "1101", "debit": 2600000}, TRIAL_BALANCE[1],
             {"kode_akun": "3103", "kredit": 3600000}]

    report = call(kernel, "import.check", cutover_file(neraca_saldo=lines), as_of=AS_OF).payload
    with pytest.raises(ImportRefused) as refused:
        call(kernel, "import.run", cutover_file(neraca_saldo=lines), as_of=AS_OF)

    assert [(d["code"], d["trial_balance"]["amount"], d["kopcore"]["amount"],
             d["difference"]["amount"]) for d in report["differences"]] == [
        ("1101", "2600000.00", "2500000.00", "-100000.00")]
    assert refused.value.extra["differences"][0]["selisih"] == "-100000.00"
    assert gl_net(kernel) == {}
    assert kernel.read("auditor", lambda ctx: ledger.list_members(ctx)) == []


def test_balances_without_their_trial_balance_are_refused(kernel: Kernel) -> None:
    with pytest.raises(ImportRefused, match="neraca_saldo"):
        call(kernel, "import.run", xlsx({"anggota": MEMBERS, "rekening_internal": INTERNAL}),
             as_of=AS_OF)
    assert gl_net(kernel) == {}


def test_a_zip_of_csv_files_with_semicolons_imports_like_the_workbook(kernel: Kernel) -> None:
    content = csv_zip({"anggota": MEMBERS, "rekening_internal": INTERNAL,
                       "neraca_saldo": TRIAL_BALANCE}, delimiter=";")

    call(kernel, "import.run", content, as_of=AS_OF)

    assert gl_net(kernel) == {"1101": 250000000, "1103": 100000000, "3103": -350000000}


def test_a_file_that_is_no_spreadsheet_is_reported(kernel: Kernel) -> None:
    report = call(kernel, "import.check", b"nomor_anggota,nama\n", as_of=AS_OF).payload

    assert report["problems"] == [{"sheet": "-", "row": None, "column": None,
                                   "message": "berkas bukan XLSX atau ZIP berisi berkas CSV"}]


def test_the_cli_takes_the_file_and_writes_the_template(database_url: str, tmp_path: Path,
                                                        make_kernel: KernelFactory) -> None:
    kernel = make_kernel()
    call(kernel, "export.journal")  # creates the administrator
    settings = write_settings(tmp_path / "kopcore.toml", database_url)
    upload = tmp_path / "cutover.xlsx"
    upload.write_bytes(cutover_file())
    env = {"KOPCORE_OPERATOR": "admin"}

    template = run_console(settings, "import", "template", "--output",
                           str(tmp_path / "t.xlsx"), env=env)
    checked = run_console(settings, "import", "check", "--file", str(upload), "--as-of",
                          AS_OF.isoformat(), "--json", env=env)
    imported = run_console(settings, "import", "run", "--file", str(upload), "--as-of",
                           AS_OF.isoformat(), env=env)

    assert template.exit_code == 0, template.output
    assert load_workbook(tmp_path / "t.xlsx").sheetnames[0] == "petunjuk"
    assert checked.exit_code == 0
    assert checked.json()["ok"] is True
    assert imported.exit_code == 0, imported.output
    assert gl_net(kernel)["1101"] == 250000000


def test_hook_import_sheets_brings_celengan_goals_and_balances(make_kernel: KernelFactory
                                                               ) -> None:
    kernel = make_kernel(plugins=("celengan",))
    celengan = [{"nomor_rekening": "CL-1", "nomor_anggota": "A1", "target": 1000000,
                 "tujuan": "Lebaran", "saldo": 250000},
                {"nomor_rekening": "CL-2", "nomor_anggota": "A2", "target": 500000,
                 "tujuan": "Sekolah", "saldo": 500000}]
    lines = [TRIAL_BALANCE[0], TRIAL_BALANCE[1], {"kode_akun": "2150", "kredit": 750000},
             {"kode_akun": "3103", "kredit": 2750000}]

    call(kernel, "import.run", cutover_file(celengan=celengan, neraca_saldo=lines), as_of=AS_OF)

    def goals(ctx: Any) -> list[tuple[str, Any]]:
        from kopcore_celengan.goals import get_celengan

        return [(n, get_celengan(ctx, n)[1].reached_on) for n in ("CL-1", "CL-2")]

    assert kernel.read("auditor", goals) == [("CL-1", None), ("CL-2", AS_OF)]
    assert gl_net(kernel)["2150"] == -75000000


def test_hook_import_sheets_a_plugins_rows_are_checked_in_its_own_terms(
        make_kernel: KernelFactory) -> None:
    kernel = make_kernel(plugins=("celengan",))
    celengan = [{"nomor_rekening": "CL-1", "nomor_anggota": "A9", "target": 0,
                 "tujuan": "Lebaran", "saldo": 1}]

    report = call(kernel, "import.check", cutover_file(celengan=celengan), as_of=AS_OF).payload

    assert [(p["sheet"], p["row"], p["column"]) for p in report["problems"]] == [
        ("celengan", 2, "nomor_anggota"), ("celengan", 2, "target")]


def test_the_api_takes_the_file_base64_and_answers_as_the_cli(database_url: str, tmp_path: Path,
                                                              make_kernel: KernelFactory) -> None:
    from litestar.testing import TestClient

    from kopcore import _auth as auth
    from kopcore.interfaces.api import make_app

    kernel = make_kernel()
    key = kernel.write("system", lambda ctx: (auth.create_user(ctx.conn, "admin", "admin"),
                                              auth.issue_key(ctx.conn, "admin")[1])[1])
    content = cutover_file(anggota=[*MEMBERS, dict(MEMBERS[0], nomor_anggota="A3")])
    upload = tmp_path / "cutover.xlsx"
    upload.write_bytes(content)
    body = {"content": base64.b64encode(content).decode(), "as_of": AS_OF.isoformat()}

    with TestClient(app=make_app(kernel)) as client:
        answer = client.post("/api/v1/import/check", json=body,
                             headers={"Authorization": f"Bearer {key}"})
    cli = run_console(write_settings(tmp_path / "kopcore.toml", database_url), "import",
                      "check", "--file", str(upload), "--as-of", AS_OF.isoformat(), "--json",
                      env={"KOPCORE_OPERATOR": "admin"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["problems"] == [{"sheet": "anggota", "row": 4, "column": "nik",
                                          "message": "NIK sudah dipakai anggota di baris 2"}]
    assert cli.json() == answer.json()


def test_a_header_without_a_required_column_is_reported_on_row_one(kernel: Kernel) -> None:
    members = [{"nomor_anggota": "A1", "nama": "Siti", "tanggal_masuk": "2019-03-01",
                "umur": 33}]

    report = call(kernel, "import.check", cutover_file(anggota=members), as_of=AS_OF).payload

    assert [(p["sheet"], p["row"], p["column"], p["message"][:20])
            for p in report["problems"]] == [
        ("anggota", 1, "umur", "kolom tidak dikenal;"),
        ("anggota", 1, "nik", "kolom wajib tidak ad")]
    assert [(s["sheet"], s["rows"]) for s in report["sheets"]] == [
        ("anggota", 0), ("rekening_internal", 1), ("neraca_saldo", 3)]
