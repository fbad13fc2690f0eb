"""The threshold inventory: every hardcoded similarity cutoff in code, config and databases.

``embedshift inventory PATH... [--db URL]...`` reads Python through its syntax tree,
JavaScript and TypeScript through tree-sitter, config files (TOML, YAML, JSON, INI, ``.env``)
and SQL files through their own parsers, and live databases through their catalogues, and
reports each place where a score is compared with, or configured as, a fixed value.

Modules: :mod:`.findings` (what a finding is), :mod:`.names` (what counts as score-like and
threshold-like), one scanner per source (:mod:`.python_scan`, :mod:`.js_scan`,
:mod:`.config_scan`, :mod:`.sql_scan`, :mod:`.db_scan`), :mod:`.walk` (files, ignore rules,
parallel scanning) and :mod:`.output` (table, JSON, SARIF 2.1.0).
"""
