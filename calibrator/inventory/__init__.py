"""The threshold inventory: every hardcoded similarity cutoff in code, config and databases.

``embedshift inventory PATH... [--db URL]...`` reads Python through its syntax tree,
JavaScript and TypeScript through tree-sitter, config files (TOML, YAML, JSON, INI, ``.env``)
and SQL files through their own parsers, and live databases through their catalogues, and
reports each place where a number is compared with, or configured as, a similarity or
distance threshold: where the number is written, however far from the comparison.

Modules: :mod:`.findings` (what a finding is), :mod:`.vocabulary` and :mod:`.names` (what
score-like and threshold-like names are), one scanner per source (:mod:`.python_scan` with
:mod:`.python_scopes`, :mod:`.python_exprs`, :mod:`.python_origin` (where a compared score
comes from), :mod:`.python_reaching` (which assignment a read sees), :mod:`.python_records`
(record classes and their builders) and :mod:`.python_lexical` (code that compares words, not
embeddings), :mod:`.js_scan` with :mod:`.js_exprs`,
:mod:`.config_scan`, :mod:`.sql_scan`, :mod:`.db_scan`), :mod:`.facts` (what a code scanner
tells the linker, and the one pairing of call arguments with parameters), :mod:`.link` (the
project-wide linking of numbers to comparisons), :mod:`.walk` (files, ignore rules, parallel
scanning) and :mod:`.output` (table, JSON, SARIF 2.1.0). User documentation:
``docs/inventory.md``.
"""
