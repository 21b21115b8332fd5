import FlotillaAPI

/// The dashboard page: one self-contained document (styles and script inline, nothing loaded from the network). It
/// carries the snapshot of the moment it was served, so the first paint needs no second request, and then renders
/// every `snapshot` event of `/dashboard/events`.
enum DashboardPage {
    /// The page with `snapshot` inlined as its first state.
    static func html(snapshot: JSONValue) -> String {
        // "</" cannot end the script element early once written "<\/", which JSON reads as the same string.
        let json = String(decoding: snapshot.serialized(), as: UTF8.self).replacingOccurrences(of: "</", with: "<\\/")
        return template.replacingOccurrences(of: "{{SNAPSHOT}}", with: json)
    }

    static let template = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Flotilla dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { margin: 0; font: 13px/1.4 system-ui, sans-serif; background: #0f1720; color: #dfe6ee; display: flex; height: 100vh; }
  #map { flex: 1; min-width: 0; }
  svg { width: 100%; height: 100%; background: #15202b; }
  aside { width: 380px; overflow-y: auto; padding: 12px 16px; border-left: 1px solid #2a3a4a; }
  h1 { font-size: 16px; margin: 0 0 4px; } h2 { font-size: 13px; margin: 16px 0 6px; color: #9fb3c8; text-transform: uppercase; }
  table { width: 100%; border-collapse: collapse; } td, th { text-align: left; padding: 2px 4px; border-bottom: 1px solid #243342; }
  .bar { height: 6px; background: #243342; border-radius: 3px; } .bar > div { height: 6px; border-radius: 3px; background: #4c9be8; }
  .ok { color: #5bd97a; } .bad { color: #ff6b6b; } .muted { color: #7d8fa3; }
  ol { margin: 0; padding-left: 18px; } li { margin: 2px 0; }
  .totals span { display: inline-block; margin-right: 12px; } .totals b { font-size: 18px; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin: 0 4px 0 10px; }
  #problems { color: #ffb347; }
</style>
</head>
<body>
<div id="map"><svg id="world" viewBox="0 0 1000 1000" preserveAspectRatio="xMidYMid meet"></svg></div>
<aside>
  <h1>Flotilla <span id="scenario" class="muted"></span></h1>
  <div class="muted">updated <span id="updated">never</span> · <span id="link">connecting…</span></div>
  <div class="totals"><span><b id="players">0</b> players</span><span><b id="ready">0</b>/<b id="clusters-total">0</b> clusters ready</span>
    <span><b id="completed">0</b> migrations</span></div>
  <div class="legend">RTT vs budget:<i style="background:#5bd97a"></i>≤ ½<i style="background:#ffd23f"></i>≤ 1×<i style="background:#ff6b6b"></i>over</div>
  <div id="problems"></div>
  <h2>Sites</h2>
  <table><thead><tr><th>cluster</th><th>ready</th><th>CPU in use</th><th>sessions</th></tr></thead><tbody id="clusters"></tbody></table>
  <h2>Migrations</h2>
  <ol id="migrations"></ol>
</aside>
<script type="application/json" id="initial">{{SNAPSHOT}}</script>
<script>
"use strict";
const token = new URLSearchParams(location.search).get("token");
const query = token ? "?token=" + encodeURIComponent(token) : "";
const svgNS = "http://www.w3.org/2000/svg";
const world = document.getElementById("world");

function el(name, attributes, text) {
  const node = document.createElementNS(svgNS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}
function html(name, className, text) {
  const node = document.createElement(name);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
function rttColour(rtt, budget) {
  if (rtt === undefined || rtt === null) return "#7d8fa3";
  const limit = budget || 30;
  return rtt <= limit / 2 ? "#5bd97a" : rtt <= limit ? "#ffd23f" : "#ff6b6b";
}
const ratColour = { "5G": "#b48cff", "4G": "#4c9be8", "WiFi": "#3fc1c9" };

function render(snapshot) {
  const width = snapshot.area.width || 1000, height = snapshot.area.height || 1000;
  world.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const unit = Math.max(width, height) / 110;
  const flip = (y) => height - y;  // the scenario's y points north
  world.replaceChildren();
  for (const cell of snapshot.cells) {
    world.append(el("circle", { class: "cell", cx: cell.x, cy: flip(cell.y), r: unit * 0.6, fill: ratColour[cell.rat] || "#888",
                                opacity: 0.45, "data-name": cell.name }));
  }
  const siteAt = {};
  for (const site of snapshot.sites) {
    if (site.x === undefined) continue;
    siteAt[site.name] = site;
    const g = el("g", { class: "site", "data-name": site.name, "data-ready": site.ready });
    const size = unit * 3;
    g.append(el("rect", { x: site.x - size / 2, y: flip(site.y) - size / 2, width: size, height: size, rx: unit * 0.4,
                          fill: site.ready ? "#1f6f43" : "#7a1f1f", stroke: "#dfe6ee", "stroke-width": unit * 0.15 }));
    const used = site.cpuAllocatable > 0 ? Math.min(1, site.cpuAllocated / site.cpuAllocatable) : 0;
    g.append(el("rect", { x: site.x - size / 2, y: flip(site.y) + size / 2 + unit * 0.3, width: size * used, height: unit * 0.5, fill: "#4c9be8" }));
    g.append(el("text", { x: site.x, y: flip(site.y) - size / 2 - unit * 0.5, "text-anchor": "middle", fill: "#dfe6ee",
                          "font-size": unit * 1.6 }, `${site.name} · ${site.sessions}`));
    world.append(g);
  }
  for (const player of snapshot.players) {
    if (player.x === undefined) continue;
    const site = siteAt[player.site];
    if (site) world.append(el("line", { class: "link", x1: player.x, y1: flip(player.y), x2: site.x, y2: flip(site.y),
                                        stroke: "#dfe6ee", "stroke-opacity": 0.12, "stroke-width": unit * 0.1 }));
    const dot = el("circle", { class: "player", cx: player.x, cy: flip(player.y), r: unit * 0.7,
                               fill: rttColour(player.rttMs, player.budgetMs), "data-session": player.session, "data-site": player.site,
                               "data-rtt": player.rttMs ?? "" });
    dot.append(el("title", {}, `${player.session} (${player.ue}) at ${player.site}: ${player.rttMs ?? "?"} ms`));
    world.append(dot);
  }

  document.getElementById("scenario").textContent = snapshot.scenario || "";
  document.getElementById("updated").textContent = new Date(snapshot.time).toLocaleTimeString();
  document.getElementById("players").textContent = snapshot.totals.players;
  document.getElementById("ready").textContent = snapshot.totals.ready;
  document.getElementById("clusters-total").textContent = snapshot.totals.clusters;
  document.getElementById("completed").textContent = snapshot.totals.completed;
  document.getElementById("problems").textContent = snapshot.problems.join("; ");

  // Text only (textContent), never markup: names and reasons come from the API.
  const rows = snapshot.sites.map((site) => {
    const row = document.createElement("tr");
    row.className = "cluster";
    row.dataset.name = site.name;
    row.dataset.ready = site.ready;
    const used = site.cpuAllocatable > 0 ? Math.round(100 * site.cpuAllocated / site.cpuAllocatable) : 0;
    const bar = html("div", "bar");
    const fill = html("div", "");
    fill.style.width = `${used}%`;
    bar.append(fill);
    const usage = html("td", "");
    usage.append(bar, `${used} %`);
    row.append(html("td", "", site.name), html("td", site.ready ? "ok" : "bad", site.ready ? "Ready" : "NotReady"), usage,
               html("td", "", String(site.sessions)));
    return row;
  });
  document.getElementById("clusters").replaceChildren(...rows);
  const items = snapshot.migrations.map((m) => {
    const item = html("li", "migration");
    const downtime = m.downtimeMs !== undefined ? ` · ${m.downtimeMs.toFixed(1)} ms down` : "";
    item.append(html("span", m.phase === "Completed" ? "ok" : m.phase === "Failed" ? "bad" : "muted", m.phase),
                ` ${m.session}: ${m.from} → ${m.to} `, html("span", "muted", `(${m.reason}${downtime})`));
    return item;
  });
  document.getElementById("migrations").replaceChildren(...items);
}

function live() {
  const events = new EventSource("/dashboard/events" + query);
  events.addEventListener("snapshot", (event) => {
    document.getElementById("link").textContent = "live";
    render(JSON.parse(event.data));
  });
  events.onerror = () => { document.getElementById("link").textContent = "reconnecting…"; };
}
render(JSON.parse(document.getElementById("initial").textContent));
live();
</script>
</body>
</html>
"""#
}
