"""The embedded demo: seeded staff, customers and history (``cti-bridge demo``)."""

from cti_bridge.demo.seed import DEMO_PASSWORD, DemoLogin, DemoSummary, seed_demo

__all__ = ["DEMO_PASSWORD", "DemoLogin", "DemoSummary", "seed_demo"]
