// swift-format-ignore-file
// Stylesheet of the live views; plain CSS, embedded so the binary serves the pages offline.

enum WebStyle {
    static let css = #"""
:root {
  --bg: #f5f6f8; --panel: #fff; --ink: #1d2433; --muted: #637087; --line: #e2e6ee;
  --ok: #1f9d55; --bad: #d64545; --warn: #c98a0b; --off: #8a94a6; --accent: #3b5bdb;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
header { display: flex; align-items: center; gap: 16px; padding: 12px 24px; background: var(--ink); color: #fff; }
header h1 { font-size: 18px; margin: 0; font-weight: 600; }
header .scope { color: #b8c2d6; font-size: 14px; }
header .spacer { flex: 1; }
header button { background: transparent; color: #fff; border: 1px solid #56607a; }
.conn { font-size: 13px; color: #b8c2d6; display: flex; align-items: center; gap: 6px; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: var(--off); display: inline-block; }
.dot.ok { background: var(--ok); } .dot.bad { background: var(--bad); } .dot.warn { background: var(--warn); }
main { padding: 20px 24px; max-width: 1400px; margin: 0 auto; display: grid; gap: 20px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.tile { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.tile .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.tile .value { font-size: 28px; font-weight: 650; margin-top: 4px; font-variant-numeric: tabular-nums; }
.tile.ok .value { color: var(--ok); } .tile.bad .value { color: var(--bad); } .tile.warn .value { color: var(--warn); }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px; min-width: 0; }
section h2 { font-size: 15px; margin: 0 0 12px; display: flex; align-items: center; gap: 8px; }
section h2 .hint { font-weight: 400; color: var(--muted); font-size: 13px; }
.columns { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 20px; }
@media (max-width: 1000px) { .columns { grid-template-columns: minmax(0, 1fr); } }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 500; border-bottom: 1px solid var(--line); padding: 6px 8px; }
td { border-bottom: 1px solid var(--line); padding: 7px 8px; vertical-align: top; overflow-wrap: anywhere; }
tr.new td { animation: flash 1.2s ease-out; }
@keyframes flash { from { background: #fff6d6; } to { background: transparent; } }
.badge { display: inline-block; white-space: nowrap; min-width: 38px; text-align: center; padding: 2px 6px; border-radius: 6px; font-weight: 600; font-size: 12px; color: #fff; background: var(--off); }
.badge.ok { background: var(--ok); } .badge.bad { background: var(--bad); } .badge.warn { background: var(--warn); }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.muted { color: var(--muted); }
.empty { color: var(--muted); padding: 18px 8px; text-align: center; font-size: 14px; }
.error { background: #fdecec; color: #8c1d1d; border: 1px solid #f3c2c2; border-radius: 8px; padding: 10px 12px; font-size: 14px; }
.notice { background: #eaf7ef; color: #195c34; border: 1px solid #bfe5cc; border-radius: 8px; padding: 10px 12px; font-size: 14px; }
button, .button { font: inherit; font-size: 13px; padding: 6px 12px; border-radius: 7px; border: 1px solid var(--line); background: #fff; color: var(--ink); cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); border-color: #f0b4b4; }
button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #9db1ff; outline-offset: 1px; }
input, select, textarea { font: inherit; font-size: 14px; padding: 7px 9px; border: 1px solid #cfd6e3; border-radius: 7px; background: #fff; color: var(--ink); }
textarea { width: 100%; min-height: 70px; font-family: ui-monospace, Menlo, monospace; font-size: 12px; }
form.inline { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
form.stack { display: grid; gap: 10px; max-width: 560px; }
form.stack label.check { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; color: var(--ink); }
form.stack label.check input[type=number] { width: 6em; }
label { font-size: 13px; color: var(--muted); display: grid; gap: 4px; }
.signin { max-width: 520px; margin: 80px auto; }
.signin p { color: var(--muted); font-size: 14px; }
canvas { width: 100%; height: 180px; display: block; }
.legend { display: flex; gap: 16px; font-size: 12px; color: var(--muted); margin-top: 6px; }
.legend span::before { content: ""; display: inline-block; width: 10px; height: 3px; margin-right: 6px; vertical-align: middle; background: currentColor; }
.app-name { font-weight: 600; }
.actions { display: flex; gap: 6px; flex-wrap: wrap; }
details { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; margin-bottom: 8px; }
details summary { cursor: pointer; font-weight: 600; }
pre { background: #f3f5f9; padding: 10px; border-radius: 6px; overflow: auto; font-size: 12px; max-height: 260px; }
nav.tabs { display: flex; gap: 6px; }
nav.tabs button { background: transparent; color: #d5dbe7; border-color: #56607a; }
nav.tabs button[aria-selected="true"] { background: #fff; color: var(--ink); border-color: #fff; font-weight: 600; }
.tab { display: grid; gap: 20px; }
#health table { table-layout: fixed; margin-bottom: 10px; }

.hidden { display: none !important; }
.legend-messages { color: #3b5bdb; }
.legend-deliveries { color: #1f9d55; }
col.col-status { width: 70px; }
col.col-wide { width: 38%; }
"""#
}
