"""Who gets a new ticket that names no assignee: the ``[[assignment]]`` rules.

The first rule whose conditions all hold wins (an empty condition holds for anything):
channel, the customer's region, the caller's number prefix (E.164, e.g. ``+4930``), the
ticket's category and kind. Inside the rule's group the agents take turns (round robin
over the members currently active). The turn is kept in memory: after a restart the
rotation starts again at the first member.
"""

from __future__ import annotations

import logging

from cti_bridge.services.agents import AgentDirectory
from cti_bridge.settings import AssignmentRule
from cti_bridge.store.tickets import AssignmentFacts

log = logging.getLogger(__name__)


def _allows(allowed: tuple[str, ...], value: str) -> bool:
    return not allowed or value.casefold() in {a.casefold() for a in allowed}


def matches(rule: AssignmentRule, facts: AssignmentFacts) -> bool:
    prefix_ok = not rule.prefixes or any(facts.number.startswith(p) for p in rule.prefixes)
    return (
        prefix_ok
        and _allows(rule.channels, facts.channel)
        and _allows(rule.regions, facts.region)
        and _allows(rule.categories, facts.category)
        and _allows(rule.kinds, facts.kind)
    )


class RuleAssigner:
    def __init__(self, rules: tuple[AssignmentRule, ...], agents: AgentDirectory) -> None:
        self._rules = rules
        self._agents = agents
        self._turns: dict[str, int] = {}

    def __call__(self, facts: AssignmentFacts) -> int | None:
        for rule in self._rules:
            if not matches(rule, facts):
                continue
            by_name = {a.username: a.id for a in self._agents.all()}
            members = [by_name[name] for name in rule.agents if name in by_name]
            if not members:
                log.warning(
                    "assignment rule %s matched but none of its agents is active", rule.name
                )
                continue
            turn = self._turns.get(rule.name, 0)
            self._turns[rule.name] = turn + 1
            return members[turn % len(members)]
        return None
