"""The `gridmap report incidents --html` page: one community's month of incidents, for its meeting.

A map (Leaflet inlined, no CDN, no base map) of the community boundary and its grids shaded by the month's
incident count, one marker per incident coloured by status, a legend, and below it the table the meeting
discusses: per grid the total, counts by category and by status, median hours to first response and to
resolution and the share handled within 24 h, with the community's total. Popups and the table never show
who reported an incident, nor what they wrote.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import mapping

from gridmap.incidents.model import Incident
from gridmap.incidents.stats import CHINA_TIME, AreaStats, resolved_at
from gridmap.incidents.taxonomy import Taxonomy
from gridmap.incidents.workflow import Status
from gridmap.maps.folium_local import offline_map, root_figure
from gridmap.services.incident_report import CommunityMonth

STATUS_NAMES: dict[Status, str] = {
    Status.REPORTED: "已上报",
    Status.ACCEPTED: "已受理",
    Status.DISPATCHED: "已派单",
    Status.IN_PROGRESS: "处理中",
    Status.RESOLVED: "已办结待核查",
    Status.CLOSED: "已办结",
    Status.REJECTED: "不予受理",
    Status.DUPLICATE: "重复上报",
}
STATUS_COLOURS: dict[Status, str] = {
    Status.REPORTED: "#e53e3e",
    Status.ACCEPTED: "#dd6b20",
    Status.DISPATCHED: "#d69e2e",
    Status.IN_PROGRESS: "#3182ce",
    Status.RESOLVED: "#38a169",
    Status.CLOSED: "#276749",
    Status.REJECTED: "#718096",
    Status.DUPLICATE: "#a0aec0",
}
COUNT_COLOURS = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#e6550d", "#a63603")  # none, then four classes
HOURS = "小时"


def write_incident_report(path: Path, report: CommunityMonth, *, taxonomy: Taxonomy) -> Path:
    """Write the self-contained HTML report of one community's month (Leaflet inlined, no CDN), naming
    categories as `taxonomy` does."""
    community = report.community
    title = f"{community.name} {_month_words(report.month)} 事件报告"
    fmap = offline_map(bounds=tuple(float(v) for v in community.geometry.bounds), title=html.escape(title))  # type: ignore[arg-type]
    counts = {code: stats.total for code, stats in report.grid_stats.items()}
    breaks = _breaks(max(counts.values(), default=0))
    grid_names = {grid.code: grid.name for grid in report.grids}
    _add_grids(fmap, report, counts, breaks)
    folium.GeoJson(
        {"type": "Feature", "geometry": mapping(community.geometry), "properties": {"name": community.name}},
        name=f"社区边界 {community.name}",
        style_function=lambda _f: {"color": "#1a202c", "weight": 3, "fillOpacity": 0.0},
    ).add_to(fmap)
    if report.incidents:
        _add_incidents(fmap, report.incidents, taxonomy, grid_names)
    folium.LayerControl(collapsed=False).add_to(fmap)
    _Legend(_legend_html(breaks)).add_to(fmap)
    page = root_figure(fmap)
    page.header.add_child(folium.Element(f"<style>{_CSS}</style>"), name="report_css")
    page.html.add_child(folium.Element(_heading(title, report)), name="report_heading", index=0)
    # The map adds its own element to the page while rendering, so the table goes in after that.
    text = page.render().replace("</body>", f"{_table(report, taxonomy)}</body>", 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def hours_text(value: float | None) -> str:
    """Hours with one decimal, or a dash when there is nothing to measure."""
    return "–" if value is None else f"{value:.1f}"


def share_text(value: float | None) -> str:
    """A share as a percentage with one decimal, or a dash."""
    return "–" if value is None else f"{value * 100:.1f}%"


def _month_words(month: str) -> str:
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


def _breaks(most: int) -> list[int]:
    """Upper bounds of four count classes above zero (at least 1 apart)."""
    step = max(1, -(-most // 4))
    return [step * k for k in range(1, 5)]


def _count_colour(count: int, breaks: list[int]) -> str:
    if count <= 0:
        return COUNT_COLOURS[0]
    return next((COUNT_COLOURS[k + 1] for k, upper in enumerate(breaks) if count <= upper), COUNT_COLOURS[-1])


def _add_grids(fmap: folium.Map, report: CommunityMonth, counts: dict[str, int], breaks: list[int]) -> None:
    """The community's grids shaded by the month's incident count."""
    features = [
        {
            "type": "Feature",
            "geometry": mapping(grid.geometry),
            "properties": {
                "code": grid.code,
                "name": grid.name,
                "worker": grid.worker or "",
                "count": counts.get(grid.code, 0),
                "colour": _count_colour(counts.get(grid.code, 0), breaks),
            },
        }
        for grid in report.grids
    ]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="网格事件数 (incidents per grid)",
        style_function=lambda f: {
            "color": "#4a5568",
            "weight": 1,
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.6,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "code", "worker", "count"], aliases=["网格", "编码", "网格员", "本月事件"]
        ),
    ).add_to(fmap)


def _add_incidents(fmap: folium.Map, incidents: list[Incident], taxonomy: Taxonomy, grid_names: dict[str, str]) -> None:
    """One circle per incident, coloured by status; the popup says what, where, when and how long it took."""
    features = []
    for incident in incidents:
        status = incident.status
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [incident.lon, incident.lat]},
                "properties": {
                    "id": incident.id,
                    "category": _category_name(taxonomy, incident.category),
                    "status": STATUS_NAMES[status],
                    "reported": incident.state.reported_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M"),
                    "grid": f"{grid_names.get(incident.grid_code or '', '')} {incident.grid_code or ''}".strip(),
                    "resolution": _resolution_text(incident),
                    "colour": STATUS_COLOURS[status],
                },
            }
        )
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=f"事件 ({len(features)})",
        marker=folium.CircleMarker(radius=5, fill=True, fill_opacity=0.9, weight=1, color="#ffffff"),
        style_function=lambda f: {"fillColor": f["properties"]["colour"]},
        popup=folium.GeoJsonPopup(
            fields=["category", "status", "reported", "grid", "resolution", "id"],
            aliases=["类别", "状态", "上报时间", "网格", "办结用时", "编号"],
        ),
    ).add_to(fmap)


def _category_name(taxonomy: Taxonomy, code: str) -> str:
    return taxonomy.get(code).name_zh if code in taxonomy else code


def _resolution_text(incident: Incident) -> str:
    if incident.status in (Status.REJECTED, Status.DUPLICATE):
        return "–"
    done = resolved_at(incident)
    if done is None:
        return "未办结"
    return f"{(done - incident.state.reported_at).total_seconds() / 3600.0:.1f} {HOURS}"


class _Legend(MacroElement):
    """A Leaflet control in the map's corner holding the legend's HTML."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var legend = L.control({position: "bottomright"});
        legend.onAdd = function () {
            var box = L.DomUtil.create("div", "report-legend");
            box.innerHTML = {{ this.content|tojson }};
            return box;
        };
        legend.addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, content: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.content = content


def _legend_html(breaks: list[int]) -> str:
    swatch = '<span class="swatch" style="background:{}"></span>'
    rows = ["<b>事件状态</b>"]
    rows += [f"<div>{swatch.format(STATUS_COLOURS[s])}{STATUS_NAMES[s]}</div>" for s in Status]
    rows.append("<b>本月网格事件数</b>")
    lower = 1
    rows.append(f"<div>{swatch.format(COUNT_COLOURS[0])}0</div>")
    for colour, upper in zip(COUNT_COLOURS[1:], breaks, strict=True):
        label = f"{lower}" if lower == upper else f"{lower}–{upper}"
        rows.append(f"<div>{swatch.format(colour)}{label}</div>")
        lower = upper + 1
    return "".join(rows)


def _heading(title: str, report: CommunityMonth) -> str:
    total = report.total.total if report.total else 0
    period = f"{report.start:%Y-%m-%d} 至 {report.end:%Y-%m-%d}(不含)"
    if total:
        within = share_text(report.total.share_within_24h if report.total else None)
        summary = f"本月共 {total} 件事件,分布在 {len(report.grid_stats)} 个网格;24小时内办结 {within}。"
    else:
        summary = "本月没有上报的事件。"
    return (
        f'<header class="report-head"><h1>{html.escape(title)}</h1>'
        f"<p>{html.escape(summary)} 统计期间:{period},边界版本 {report.version.id}。</p></header>"
    )


def _table(report: CommunityMonth, taxonomy: Taxonomy) -> str:
    """The per-grid table and the community total; cells carry data-field names (for checks and scripts)."""
    rows = [report.grid_stats.get(grid.code) for grid in report.grids]
    categories = sorted({c for s in rows if s for c in s.by_category}, key=_order(taxonomy))
    statuses = [s for s in Status if any(r and s.value in r.by_status for r in rows)]
    head = ["网格", "编码", "合计"]
    head += [_category_name(taxonomy, c) for c in categories]
    head += [STATUS_NAMES[s] for s in statuses]
    head += ["首次响应中位数(小时)", "办结中位数(小时)", "24小时内办结"]
    lines = ["<section class='report-table'><h2>分网格统计</h2><table>"]
    lines.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead><tbody>")
    for grid, stats in zip(report.grids, rows, strict=True):
        lines.append(_row(grid.code, grid.name, grid.code, stats, categories, statuses))
    lines.append("</tbody><tfoot>")
    lines.append(_row(report.community.code, "社区合计", report.community.code, report.total, categories, statuses))
    lines.append("</tfoot></table>")
    if not report.incidents:
        lines.append("<p>本月没有上报的事件 (no incidents were reported this month).</p>")
    lines.append(
        "<p class='note'>首次响应:上报后工作人员第一次处理(受理、不予受理或标记重复);办结:第一次到达“已办结待核查”;"
        "24小时内办结的比例不计不予受理和重复上报的事件。</p></section>"
    )
    return "".join(lines)


def _order(taxonomy: Taxonomy) -> Any:
    codes = [c.code for c in taxonomy]
    return lambda code: (codes.index(code) if code in codes else len(codes), code)


def _row(key: str, name: str, code: str, stats: AreaStats | None, categories: list[str], statuses: list[Status]) -> str:
    cells: list[tuple[str, str]] = [("name", name), ("code", code), ("total", str(stats.total if stats else 0))]
    cells += [(f"category:{c}", str(stats.by_category.get(c, 0) if stats else 0)) for c in categories]
    cells += [(f"status:{s.value}", str(stats.by_status.get(s.value, 0) if stats else 0)) for s in statuses]
    cells += [
        ("median_first_response_h", hours_text(stats.median_first_response_h if stats else None)),
        ("median_resolution_h", hours_text(stats.median_resolution_h if stats else None)),
        ("share_within_24h", share_text(stats.share_within_24h if stats else None)),
    ]
    body = "".join(f'<td data-field="{html.escape(f)}">{html.escape(v)}</td>' for f, v in cells)
    return f'<tr data-area="{html.escape(key)}">{body}</tr>'


_CSS = """
html, body { height: auto !important; overflow: auto !important; }
body { font: 14px/1.5 "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #1a202c; }
.report-head { padding: 12px 16px 4px; }
.report-head h1 { font-size: 22px; margin: 0 0 4px; }
.folium-map { height: 62vh !important; }
.report-legend { background: white; padding: 8px 10px; border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,.3);
  font-size: 12px; line-height: 1.6; }
.report-legend .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: middle;
  border: 1px solid #a0aec0; }
.report-table { padding: 8px 16px 24px; overflow-x: auto; }
.report-table table { border-collapse: collapse; }
.report-table th, .report-table td { border: 1px solid #cbd5e0; padding: 4px 8px; text-align: right;
  white-space: nowrap; }
.report-table td:first-child, .report-table td:nth-child(2), .report-table th:first-child { text-align: left; }
.report-table thead th { background: #edf2f7; }
.report-table tfoot td { font-weight: bold; background: #f7fafc; }
.report-table .note { color: #4a5568; font-size: 12px; white-space: normal; }
"""
