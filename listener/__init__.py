"""listener: hear a Chinese-language brand crisis early and answer it well.

This package wires the stages (collectors -> analyzers -> alerts) with the config, the SQLite store,
the scheduler and the command line. It holds no parsing, NLP or detection logic of its own.
"""

__version__ = "0.1.0"
