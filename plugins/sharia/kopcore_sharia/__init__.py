"""Sharia products for KSPPS/BMT cooperatives, free of interest (riba): wadiah and
mudharabah savings with profit sharing by nisbah; murabahah, qardh, ijarah and
musyarakah financing; and zakat, infaq and sadaqah (ZIS) funds kept apart from the
financing business.

This version declares no products, operations or hooks yet: installing and enabling it
changes nothing.
"""
