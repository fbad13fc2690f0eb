"""Who answers searches (shadow, canary, flipped), the audit log of changes, automatic promotion.

May import :mod:`proxy.gate` (promotion reads verdicts) and the leaf modules.
"""
