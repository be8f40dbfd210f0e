"""Every message the code marks is translated, with the same placeholders as its msgid.

The marked messages are found in the code itself (``tests/i18n_support.py``), so a message added
without its Indonesian translation, or a translation that drops, renames or invents a
``{placeholder}``, fails here before a person sees an English text or a ``KeyError``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from kopcore._i18n import placeholders, read_catalogue
from kopcore.errors import InsufficientFunds, Message, Messages, NotFound, message, printable
from kopcore.money import Money
from tests import i18n_support as support

KERNEL_DIR, KERNEL_DOMAIN = support.KERNEL
CATALOGUES = [
    (name, locale, po)
    for name, (package, domain) in {"kopcore": support.KERNEL, **support.PLUGINS}.items()
    for locale, po in support.catalogues(package, domain).items()
]


def _kernel_catalogue() -> dict[str, str]:
    return support.read(support.catalogues(KERNEL_DIR, KERNEL_DOMAIN)["id"])


def test_there_is_an_indonesian_catalogue_for_the_kernel_and_every_product_plugin() -> None:
    assert {name for name, locale, _po in CATALOGUES if locale == "id"} == \
        {"kopcore", *support.PLUGINS}


def test_every_message_the_kernel_marks_is_in_its_indonesian_catalogue() -> None:
    kernel = _kernel_catalogue()
    marked = list(support.marked(KERNEL_DIR))
    assert len(marked) > 100  # the walk finds the marks (a broken walk would pass vacuously)
    missing = sorted({f"{m.where}: {m.msgid!r}" for m in marked if not kernel.get(m.msgid)})
    assert missing == []


def test_every_kernel_error_title_is_in_the_indonesian_catalogue() -> None:
    kernel = _kernel_catalogue()
    titles = {support.title_of(cls)[0] for cls in support.error_classes()
              if cls.__module__.startswith("kopcore.")}
    assert {"Insufficient funds", "Not found", "Not allowed", "Invalid amount"} <= titles
    assert sorted(title for title in titles if not kernel.get(title)) == []


@pytest.mark.parametrize("plugin", sorted(support.PLUGINS))
def test_every_message_a_plugin_marks_is_in_its_catalogue_or_the_kernels(plugin: str) -> None:
    package, domain = support.PLUGINS[plugin]
    own = support.read(support.catalogues(package, domain)["id"])
    kernel = _kernel_catalogue()
    marked = list(support.marked(package))
    assert marked, f"{plugin} marks no message"
    missing = sorted({f"{m.where}: {m.msgid!r}" for m in marked
                      if not own.get(m.msgid) and not kernel.get(m.msgid)})
    assert missing == []


@pytest.mark.parametrize("plugin", sorted(support.PLUGINS))
def test_a_plugins_error_titles_are_translated(plugin: str) -> None:
    """A plugin's own title is a message of its catalogue; a plain text title is looked up in
    the kernel's catalogue only, so it must be there."""
    package, domain = support.PLUGINS[plugin]
    own = support.read(support.catalogues(package, domain)["id"])
    kernel = _kernel_catalogue()
    for cls in support.error_classes((package.name,)):
        if not cls.__module__.startswith(package.name + ".") or "title" not in cls.__dict__:
            continue
        msgid, marked = support.title_of(cls)
        found = (own if marked is not None else {}).get(msgid) or kernel.get(msgid)
        assert found, f"{cls.__qualname__}.title {msgid!r} has no Indonesian translation"


#: Modules whose refusals are still written as text: the cut-over import speaks Indonesian only.
NOT_YET_MARKED = ("kopcore/_cutover/",)


@pytest.mark.parametrize("name", ["kopcore", *sorted(support.PLUGINS)])
def test_every_refusal_is_written_as_a_message(name: str) -> None:
    """A refusal whose detail is an f-string cannot be translated: its figures are already in
    the text. Each is a message with named parameters (``message``, or the plugin's ``_``)."""
    package, _domain = support.KERNEL if name == "kopcore" else support.PLUGINS[name]
    errors = {cls.__name__ for cls in support.error_classes((package.name,))}
    assert {"InsufficientFunds", "NotFound", "ValidationError"} <= errors
    unmarked = [where for where in support.unmarked_refusals(package, errors)
                if not where.startswith(NOT_YET_MARKED)]
    assert unmarked == []


@pytest.mark.parametrize(("name", "locale", "po"), CATALOGUES,
                         ids=[f"{name}-{locale}" for name, locale, _po in CATALOGUES])
def test_every_translation_has_its_msgids_placeholders(name: str, locale: str, po: Path) -> None:
    entries = support.read(po)
    assert entries, f"{po} is empty"
    wrong = {msgid: text for msgid, text in entries.items()
             if not text or placeholders(text) != placeholders(msgid)}
    assert wrong == {}


def test_a_message_is_its_english_text_and_translates_when_shown() -> None:
    shortfall = message("Insufficient balance: available {available}, requested {requested}",
                        available=Money.parse("1250000"), requested=Money.parse("2000000"))
    assert shortfall == "Insufficient balance: available Rp1.250.000,00, requested Rp2.000.000,00"
    assert shortfall.text_in("id") == \
        "Saldo tidak cukup: tersedia Rp1.250.000,00, diminta Rp2.000.000,00"
    error = InsufficientFunds(shortfall, account="SAV-1")
    assert error.detail == shortfall
    assert str(error) == shortfall
    assert error.to_problem() == {  # no language asked: the English msgids, as before
        "type": "https://kopcore.org/problems/insufficient-funds", "title": "Insufficient funds",
        "status": 409, "detail": str(shortfall), "code": "insufficient-funds",
        "account": "SAV-1"}
    problem = error.to_problem("id")
    assert (problem["title"], problem["detail"]) == (
        "Saldo tidak cukup", "Saldo tidak cukup: tersedia Rp1.250.000,00, diminta Rp2.000.000,00")
    assert {k: v for k, v in problem.items() if k not in ("title", "detail")} == \
        {k: v for k, v in error.to_problem("en").items() if k not in ("title", "detail")}
    revived = pickle.loads(pickle.dumps(shortfall))
    assert isinstance(revived, Message)
    assert revived.text_in("id") == shortfall.text_in("id")


def test_parameters_are_escaped_and_nested_messages_translate_with_their_parent() -> None:
    refused = NotFound(message("member {member} is {status}", member="AG\x1b[31m",
                               status=message("left")))
    assert refused.detail == "member AG\\x1b[31m is left"
    assert refused.detail_in("id") == "anggota AG\\x1b[31m berstatus keluar"
    assert printable(refused.detail) is refused.detail


def test_a_plain_text_detail_is_looked_up_as_it_is() -> None:
    assert NotFound("member 7 not found").detail_in("id") == "member 7 not found"
    assert NotFound("invalid or revoked API key").detail_in("id") == \
        "kunci API tidak sah atau sudah dicabut"


def test_a_plugin_catalogue_is_found_in_its_package_and_falls_back_to_the_kernels(
        tmp_path: Path) -> None:
    package = tmp_path / "kopcore_arisan"
    (package / "locale" / "id" / "LC_MESSAGES").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "locale" / "id" / "LC_MESSAGES" / "arisan.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: id\\n"\n\n'
        'msgid "round {round} is drawn"\nmsgstr "putaran {round} sudah diundi"\n\n'
        'msgid "round {round} is late"\nmsgstr "putaran {putaran} terlambat"\n',
        encoding="utf-8")
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        _ = Messages("arisan", "kopcore_arisan.draws")
        assert _.directory == package / "locale"
        assert _("round {round} is drawn", round=3).text_in("id") == "putaran 3 sudah diundi"
        assert _("Not found").text_in("id") == "Tidak ditemukan"  # the kernel's
        assert _("no one translates this").text_in("id") == "no one translates this"
        # A translation naming a placeholder its msgid lacks falls back to English.
        assert _("round {round} is late", round=4).text_in("id") == "round 4 is late"
        assert read_catalogue(package / "locale", "arisan", "en") == {}
    finally:
        sys.path.remove(str(tmp_path))
