"""``cti-bridge bench``: the load benchmark of DESIGN §8.

The benchmark process seeds PostgreSQL, runs the AMI simulator, starts the daemon as its
own process (``cti-bridge run``) and the agents' websockets in a third process (the
``websockets`` library), places calls at given rates and reports ring-to-pop latency
(simulator writes the ringing event -> agent process receives the ``screen_pop``), pops
lost or misdirected, AMI events/s, and the daemon's CPU and memory.
"""
