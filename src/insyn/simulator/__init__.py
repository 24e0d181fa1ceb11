"""Local stand-ins for the Facebook Graph API (Pages) and the Mastodon REST API.

Django-free and independent of insyn.capture (which must not import it either):
the two are written separately from the platforms' documentation so that a
misreading in one shows up as a failure in the other. See docs/simulator.md.

    from insyn.simulator import Simulator, start_in_thread
    handle = start_in_thread(seed=1)
    world = handle.simulator.seed_default_world()
    ... httpx.get(f"{handle.graph_url}/v23.0/{page_id}/feed", params={"access_token": token})
    handle.stop()
"""

from __future__ import annotations

from .clock import Clock, VirtualClock
from .faults import FaultRule
from .scenario import Scenario, ScenarioConfig
from .server import AccountInfo, PageInfo, Simulator, SimulatorHandle, start_in_thread
from .store import SimEvent, World
from .webhooks import WebhookConfig, sign

__all__ = [
    "AccountInfo",
    "Clock",
    "FaultRule",
    "PageInfo",
    "Scenario",
    "ScenarioConfig",
    "SimEvent",
    "Simulator",
    "SimulatorHandle",
    "VirtualClock",
    "WebhookConfig",
    "World",
    "sign",
    "start_in_thread",
]
