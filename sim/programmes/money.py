"""Costs in a policy: every one in the policy's currency.

A cost is written as a number (in the policy's `currency`, an ISO 4217 code such as EUR) or as
`{value: 22.5, currency: EUR, source: "..."}`; a cost stated in another currency is refused
before the run (convert it first: nothing here converts currencies), as is a policy without a
valid currency.
"""

from typing import Annotated

from pydantic import BeforeValidator, Field

from sim.fields import NonNegative

CURRENCY_PATTERN = r"^[A-Z]{3}$"
Currency = Annotated[str, Field(pattern=CURRENCY_PATTERN, description="an ISO 4217 code: EUR, USD")]
MONEY_KEYS = {"value", "currency", "source"}


def is_money(value) -> bool:
    return isinstance(value, dict) and "value" in value and "currency" in value and set(value) <= MONEY_KEYS


def unwrap_money(value):
    """Accept `{value: x, currency: C, source: "..."}` (or `{value, source}`) for a cost."""
    if isinstance(value, dict) and "value" in value and set(value) <= MONEY_KEYS:
        return value["value"]
    return value


# a finite amount within the bounds every number has (sim.fields), the currency unwrapped first
Money = Annotated[NonNegative, BeforeValidator(unwrap_money)]


def foreign_costs(data, currency: str, path: str = "policy") -> list[str]:
    """Where `data` (a policy as written) states a cost in a currency other than `currency`."""
    if is_money(data):
        return [] if data["currency"] == currency else [
            f"{path}: a cost in {data['currency']!r}, not in the policy's currency {currency!r} (convert it, or "
            f"change policy.currency)"]
    if isinstance(data, dict):
        return [problem for key, value in data.items() for problem in foreign_costs(value, currency, f"{path}.{key}")]
    if isinstance(data, list):
        return [problem for i, value in enumerate(data) for problem in foreign_costs(value, currency, f"{path}[{i}]")]
    return []
