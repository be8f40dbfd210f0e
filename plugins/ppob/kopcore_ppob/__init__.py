"""PPOB (Payment Point Online Bank) for kopcore cooperatives: members buy PLN tokens,
phone credit and data packages and pay PLN, BPJS Kesehatan, PDAM and other bills
through a payment aggregator, paying from savings or cash, with funds held while a
transaction is pending and the margin booked as fee income.

This version declares no products, operations or hooks yet: installing and enabling it
changes nothing.
"""
