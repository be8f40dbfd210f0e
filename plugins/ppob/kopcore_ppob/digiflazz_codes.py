"""Digiflazz's buyer response codes, as data.

Transcribed from Digiflazz's buyer API documentation, section "Response Code"
(developer.digiflazz.com/api/buyer/response-code): for each ``rc`` its message, the transaction
status it comes with and the column *Terbentuk transaksi* — whether the answer refers to a
transaction created at Digiflazz. A code with ``created=False`` refused *this request* and made
no purchase; on a status re-send it says nothing about the purchase first made under the ref_id
(which may well have succeeded), so only codes that settle may settle one.

``settles`` is kopcore's reading of the table: a created transaction's own outcome. It is
``created`` except for the throttles 85 and 86, which the documentation marks as created although
their message (*Limitasi transaksi tercapai, coba lagi 1 menit*; *Limitasi pengecekan nomor PLN*)
is about the request's rate, not about a purchase: a status re-send answered with one of them
leaves the purchase pending. 49 (ref_id not unique) settles nothing either: the ref_id belongs to
a transaction whose outcome this answer does not give.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class ResponseCode:
    rc: str
    message: str
    #: Sukses, Pending or Gagal: the status the documentation gives with the code.
    status: str
    #: The documentation's "Terbentuk transaksi" column.
    created: bool
    #: Whether the code states the outcome of the purchase under the ref_id (see the module).
    settles: bool


_THROTTLES = frozenset({"85", "86"})

#: (rc, message, status, created) in the documentation's order.
_TABLE: tuple[tuple[str, str, str, bool], ...] = (
    ("00", "Transaksi Sukses", "Sukses", True),
    ("01", "Timeout", "Gagal", True),
    ("02", "Transaksi Gagal", "Gagal", True),
    ("03", "Transaksi Pending", "Pending", True),
    ("40", "Payload Error", "Gagal", False),
    ("41", "Signature tidak valid", "Gagal", False),
    ("42", "Gagal memproses API Buyer", "Gagal", False),
    ("43", "SKU tidak di temukan atau Non-Aktif", "Gagal", False),
    ("44", "Saldo tidak cukup", "Gagal", False),
    ("45", "IP Anda tidak kami kenali", "Gagal", False),
    ("47", "Transaksi sudah terjadi di buyer lain", "Gagal", False),
    ("49", "Ref ID tidak unik", "Gagal", False),
    ("50", "Transaksi Tidak Ditemukan", "Gagal", True),
    ("51", "Nomor Tujuan Diblokir", "Gagal", True),
    ("52", "Prefix Tidak Sesuai Dengan Operator", "Gagal", True),
    ("53", "Produk Seller Sedang Tidak Tersedia", "Gagal", True),
    ("54", "Nomor Tujuan Salah", "Gagal", True),
    ("55", "Produk Sedang Gangguan", "Gagal", True),
    ("56", "Limit saldo seller", "Gagal", False),
    ("57", "Jumlah Digit Kurang Atau Lebih", "Gagal", True),
    ("58", "Sedang Cut Off", "Gagal", True),
    ("59", "Tujuan di Luar Wilayah/Cluster", "Gagal", True),
    ("60", "Tagihan belum tersedia", "Gagal", True),
    ("61", "Belum pernah melakukan deposit", "Gagal", False),
    ("62", "Seller sedang mengalami gangguan", "Gagal", False),
    ("63", "Tidak support transaksi multi", "Gagal", False),
    ("64", "Tarik tiket gagal, coba nominal lain atau hubungi admin", "Gagal", False),
    ("65", "Limit transaksi multi", "Gagal", False),
    ("66", "Cut Off (Perbaikan Sistem Seller)", "Gagal", False),
    ("67", "Seller belum ter-verfikasi", "Gagal", False),
    ("68", "Stok habis", "Gagal", False),
    ("69", "Harga seller lebih besar dari ketentuan harga buyer", "Gagal", False),
    ("70", "Timeout Dari Biller", "Gagal", True),
    ("71", "Produk Sedang Tidak Stabil", "Gagal", True),
    ("72", "Lakukan Unreg Paket Dahulu", "Gagal", True),
    ("73", "Kwh Melebihi Batas", "Gagal", True),
    ("74", "Transaksi Refund", "Gagal", True),
    ("80", "Akun Anda telah diblokir oleh Seller", "Gagal", False),
    ("81", "Seller ini telah diblokir oleh Anda", "Gagal", False),
    ("82", "Akun Anda belum ter-verfikasi", "Gagal", False),
    ("83", "Limitasi pengecekan pricelist tercapai", "Gagal", False),
    ("84", "Nominal tidak valid", "Gagal", True),
    ("85", "Limitasi transaksi tercapai", "Gagal", True),
    ("86", "Limitasi pengecekan nomor PLN tercapai", "Gagal", True),
    ("87", "Transaksi E-money wajib kelipatan Rp 1.000", "Gagal", False),
    ("88", "Akun Anda tidak dapat melakukan aksi ini", "Gagal", False),
    ("99", "DF Router Issue", "Pending", True),
)

RESPONSE_CODES: dict[str, ResponseCode] = {
    rc: ResponseCode(rc, message, status, created, created and rc not in _THROTTLES)
    for rc, message, status, created in _TABLE
}
