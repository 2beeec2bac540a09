import signal
import sys


def _stopped_while_importing(signum: int, frame: object) -> None:
    """Imports take seconds on a loaded machine; a stop signal then is a clean stop for `run`, as later."""
    raise SystemExit(0 if "run" in sys.argv[1:] else 128 + signum)


_previous = {s: signal.signal(s, _stopped_while_importing) for s in (signal.SIGINT, signal.SIGTERM)}

from listener.cli import main  # noqa: E402

for _signum, _handler in _previous.items():
    signal.signal(_signum, _handler)

sys.exit(main())
