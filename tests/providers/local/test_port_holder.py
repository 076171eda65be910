from __future__ import annotations

import os
import socket

from fleetops.providers.local.port_holder import describe_holders, port_holders
from fleetops.providers.local.process import free_loopback_port


def test_the_process_listening_on_a_port_is_found() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert [holder.pid for holder in port_holders(port)] == [os.getpid()]


def test_a_port_nobody_listens_on_has_no_holder() -> None:
    port = free_loopback_port()
    assert (port_holders(port), describe_holders(port)) == ([], "held by a process this user cannot see")
