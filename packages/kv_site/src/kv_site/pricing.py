"""The pricing page and the home page's plans, generated from ``kv_core.plans``.

Nothing here names a price or a quota: every figure is read from :data:`PLANS` and
:data:`LIMITS`, so the site can never disagree with what the API enforces.
"""

from __future__ import annotations

from dataclasses import dataclass

from kv_core.limits import LIMITS
from kv_core.plans import DEFAULT_PLAN, PLANS, Plan, format_bytes, format_count


@dataclass(frozen=True, slots=True)
class PlanCard:
    """One plan as the site shows it: words and figures, ready for a template."""

    name: str
    title: str
    price: str
    requests: str
    storage: str
    custom: bool

    @property
    def requests_line(self) -> str:
        prefix = "from " if self.custom else ""
        return f"{prefix}{self.requests} requests a month"

    @property
    def storage_line(self) -> str:
        prefix = "from " if self.custom else ""
        return f"{prefix}{self.storage} of storage"


def price(plan: Plan) -> str:
    """``$15``: whole US dollars a month."""
    return f"${plan.price_usd}"


def plan_card(plan: Plan) -> PlanCard:
    return PlanCard(
        name=plan.name,
        title=plan.title,
        price=price(plan),
        requests=format_count(plan.requests_per_month),
        storage=format_bytes(plan.storage_bytes),
        custom=plan.custom,
    )


def plan_cards() -> list[PlanCard]:
    """Every plan, cheapest first."""
    return [plan_card(plan) for plan in sorted(PLANS.values(), key=lambda p: p.price_usd)]


def cards_markdown(cards: list[PlanCard], signup_url: str) -> str:
    """Material's grid cards, one per plan, each with a sign-up button."""
    lines = ['<div class="grid cards kv-plans" markdown>', ""]
    for card in cards:
        action = "Talk to us after signing up" if card.custom else f"Start on {card.title}"
        lines += [
            f"-   **{card.title}**",
            "",
            "    ---",
            "",
            f'    <span class="kv-price">{card.price}</span> a month',
            "",
            f"    - {card.requests_line}",
            f"    - {card.storage_line}",
            "",
            f"    [{action}]({signup_url}){{ .md-button }}",
            "",
        ]
    lines += ["</div>", ""]
    return "\n".join(lines)


def comparison_markdown(cards: list[PlanCard]) -> str:
    """One column per plan; rows for what differs, then what every plan shares."""
    header = "| | " + " | ".join(card.title for card in cards) + " |"
    rule = "|---|" + "---|" * len(cards)

    def row(label: str, values: list[str]) -> str:
        return f"| {label} | " + " | ".join(values) + " |"

    def same(value: str) -> list[str]:
        return [value] * len(cards)

    def custom(card: PlanCard, value: str) -> str:
        return f"{value}, or as agreed" if card.custom else value

    return "\n".join(
        [
            header,
            rule,
            row("Price a month", [card.price for card in cards]),
            row("Requests a month", [custom(card, card.requests) for card in cards]),
            row("Storage", [custom(card, card.storage) for card in cards]),
            row("Largest value", same(f"{LIMITS.value_max_bytes // 1024} KiB")),
            row("Longest key", same(f"{LIMITS.key_max_bytes} bytes")),
            row("Keys per list page", same(f"up to {LIMITS.list_limit_max}")),
            row("Namespaces and API keys", same("as many as you need")),
            row("Read-only API keys", same("yes")),
            row("Conditional writes (ETag)", same("yes")),
            row("Usage alerts by email", same(f"at {LIMITS.warning_ratio:.0%} and 100%")),
            "",
        ]
    )


def pricing_page(signup_url: str) -> str:
    """The whole pricing page as Markdown."""
    cards = plan_cards()
    free = plan_card(PLANS[DEFAULT_PLAN])
    return "\n".join(
        [
            "---",
            "title: Pricing",
            "hide: [navigation, toc]",
            "---",
            "",
            "# Pricing",
            "",
            f"Start on **{free.title}** with {free.requests} requests and {free.storage} a"
            " month, no card needed. Upgrade in the dashboard when you grow; you pay by the"
            " month, in US dollars, and can change plans at any time.",
            "",
            cards_markdown(cards, signup_url),
            "## Compare the plans",
            "",
            comparison_markdown(cards),
            "## How usage is counted",
            "",
            "- A month is a UTC calendar month. Counts start again on the 1st; nothing is"
            " carried over.",
            "- A request counts when it reaches a namespace: reads, writes, deletes and"
            " lists, including a read of a key that does not exist. Requests refused"
            " for a missing or wrong API key, or over quota, do not count.",
            "- Storage is the sum of each item's key and its value as compact UTF-8 JSON.",
            f"- You get an email at {LIMITS.warning_ratio:.0%} and at 100% of either quota."
            " At 100% of requests the API answers `429` until the month ends; at 100%"
            " of storage, writes that would grow it answer `429`, while reads, deletes and"
            " shrinking writes still work.",
            "",
            "See [Limits](docs/limits.md) for every limit in one place.",
            "",
        ]
    )
