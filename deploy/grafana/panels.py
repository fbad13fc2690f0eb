# ruff: noqa: INP001, FBT003  (a script folder; the SDK's setters take positional booleans)
"""Building blocks of embedshift's dashboards, on grafana-foundation-sdk's typed builders.

Every expression filters with :data:`SEL` (the ``route`` and ``segment`` template variables,
multi-value, "All" by default) and reads raw counters over ``$__rate_interval``. Panels take
the datasource from the ``datasource`` variable, so the dashboards import into any Grafana with
any Prometheus data source.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.common import (
    ReduceDataOptions,
    VizLegendOptions,
    VizTooltipOptions,
)
from grafana_foundation_sdk.builders.dashboard import Dashboard, DatasourceVariable, QueryVariable
from grafana_foundation_sdk.builders.heatmap import HeatmapColorOptions
from grafana_foundation_sdk.builders.heatmap import Panel as Heatmap
from grafana_foundation_sdk.builders.prometheus import Dataquery as PromQuery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.models.common import (
    LegendDisplayMode,
    LegendPlacement,
    SortOrder,
    TooltipDisplayMode,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DataSourceRef,
    RangeMap,
    RegexMap,
    SpecialValueMap,
    ValueMap,
    ValueMappingResult,
    VariableOption,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.heatmap import HeatmapColorMode
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
SEL = 'route=~"$route", segment=~"$segment"'
"""The label matcher every per-route, per-segment expression carries."""


def q(expr: str, legend: str, ref: str = "A") -> PromQuery:
    """A Prometheus range query with its legend."""
    return PromQuery().expr(expr).legend_format(legend).ref_id(ref).datasource(DATASOURCE)


def quantiles(
    metric: str, by: str, qs: tuple[float, ...], legend: str, sel: str = SEL
) -> list[PromQuery]:
    """``histogram_quantile`` of the histogram ``metric`` for each of ``qs``, summed ``by``."""
    return [
        q(
            f"histogram_quantile({v}, sum by ({by}, le) "
            f"(rate({metric}_bucket{{{sel}}}[$__rate_interval])))",
            f"p{round(v * 100)} {legend}",
            chr(ord("A") + i),
        )
        for i, v in enumerate(qs)
    ]


def legend() -> VizLegendOptions:
    """A legend listed under the graph."""
    return (
        VizLegendOptions()
        .display_mode(LegendDisplayMode.LIST)
        .placement(LegendPlacement.BOTTOM)
        .show_legend(True)
    )


def tooltip() -> VizTooltipOptions:
    """A tooltip showing every series, highest first."""
    return VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.DESCENDING)


def timeseries(
    title: str, description: str, unit: str, targets: list[PromQuery], width: int = 12
) -> Timeseries:
    """A time series panel over ``targets``, 8 rows high and ``width`` columns wide."""
    return (
        Timeseries()
        .title(title)
        .description(description)
        .unit(unit)
        .span(width)
        .height(8)
        .datasource(DATASOURCE)
        .targets(list(targets))
        .legend(legend())
        .tooltip(tooltip())
    )


def stat(title: str, description: str, unit: str, target: PromQuery, width: int) -> Stat:
    """A single-value panel showing the last value of ``target``."""
    return (
        Stat()
        .title(title)
        .description(description)
        .unit(unit)
        .span(width)
        .height(8)
        .datasource(DATASOURCE)
        .with_target(target)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )


def score_heatmap(title: str, description: str, side: str, rank: str) -> Heatmap:
    """The distribution over time of one side's similarity at one rank, from its buckets."""
    expr = (
        "sum by (le) (increase(embedshift_score_bucket"
        f'{{{SEL}, side="{side}", rank="{rank}"}}[$__rate_interval]))'
    )
    return (
        Heatmap()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .with_target(q(expr, "{{le}}").format(PromQueryFormat.HEATMAP))
        .calculate(False)
        .color(
            HeatmapColorOptions()
            .mode(HeatmapColorMode.SCHEME)
            .scheme("Oranges")
            .steps(64)
            .exponent(0.5)
        )
        .show_legend()
        .show_tooltip()
        .span(6)
        .height(8)
    )


def verdict_mappings() -> list[ValueMap | RangeMap | RegexMap | SpecialValueMap]:
    """1 pass, 0 inconclusive, -1 fail, as ``embedshift_gate_verdict`` encodes them."""
    return [
        ValueMap(
            {
                "1": ValueMappingResult(text="pass", color="green", index=0),
                "0": ValueMappingResult(text="inconclusive", color="yellow", index=1),
                "-1": ValueMappingResult(text="fail", color="red", index=2),
            }
        )
    ]


def _label_variable(name: str, label: str, query: str) -> QueryVariable:
    return (
        QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .current(VariableOption(selected=True, text="All", value="$__all"))
    )


def dashboard(uid: str, title: str, description: str) -> Dashboard:
    """An empty dashboard with the shared settings and the three template variables."""
    return (
        Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["embedshift", "generated"])
        .editable()
        .refresh("30s")
        .time("now-3h", "now")
        .timezone("browser")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .with_variable(DatasourceVariable("datasource").label("Data source").type("prometheus"))
        .with_variable(
            _label_variable(
                "route", "Route", "label_values(embedshift_shadow_requests_total, route)"
            )
        )
        .with_variable(
            _label_variable(
                "segment",
                "Segment",
                'label_values(embedshift_shadow_requests_total{route=~"$route"}, segment)',
            )
        )
    )
