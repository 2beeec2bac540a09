"""The offline demo: bundled sample posts served locally, run through the whole pipeline."""
