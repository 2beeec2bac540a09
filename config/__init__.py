"""Data only: the example config, lexicons, playbooks and models, installed as `listener_config`."""
