"""Who answers searches (shadow, canary, flipped), the audit of changes, automatic promotion.

Owns the mode in force and its SQLite file (mode and audit log, shared by processes on one
port), and promotion, which follows the gate's reports.

May import: proxy.gate, proxy.shadow (the consistent-sampling hash), proxy.config,
proxy.errors, proxy.files, proxy.logs, proxy.metrics.
"""
