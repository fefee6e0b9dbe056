/**
 * The console's one stylesheet, served by the worker at /console/console.css
 * (no third-party asset, and no inline style: the Content-Security-Policy is
 * `style-src 'self'`, src/console/security.ts).
 */
export const CONSOLE_CSS = `
:root { --ink: #1d2430; --muted: #5b6577; --line: #dde2ea; --bg: #f5f7fa; --card: #fff; --accent: #2457c5; --ok: #1f8a4c; --warn: #b26a00; --bad: #c0362c; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
header.top { background: #18223a; color: #fff; padding: 10px 24px; display: flex; align-items: center; gap: 24px; }
header.top a { color: #fff; text-decoration: none; }
header.top .brand { font-weight: 700; letter-spacing: .02em; }
header.top nav { flex: 1; display: flex; gap: 16px; }
header.top form { margin: 0; }
header.top button { background: transparent; color: #fff; border: 1px solid #fff6; border-radius: 6px; padding: 4px 10px; cursor: pointer; }
main { max-width: 1120px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 1.6rem; margin: 8px 0 4px; }
h2 { font-size: 1.15rem; margin: 0 0 12px; }
h3 { font-size: 1rem; margin: 16px 0 8px; }
p.sub { color: var(--muted); margin: 0 0 16px; }
a { color: var(--accent); }
.crumbs { font-size: .9rem; color: var(--muted); }
.crumbs a { color: var(--muted); }
nav.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--line); margin: 12px 0 20px; flex-wrap: wrap; }
nav.tabs a { padding: 8px 14px; text-decoration: none; color: var(--muted); border-bottom: 2px solid transparent; }
nav.tabs a[aria-current="page"] { color: var(--ink); border-bottom-color: var(--accent); font-weight: 600; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 20px; margin-bottom: 20px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 20px; margin-bottom: 20px; }
.stack > .grid, .stack > section.card { margin-bottom: 0; }
.grid > section.card { margin-bottom: 0; }
.stack { display: grid; gap: 20px; margin-bottom: 20px; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 12px; margin: 0; }
.stats div { background: var(--bg); border-radius: 8px; padding: 10px 12px; }
.stats dt { font-size: .8rem; color: var(--muted); }
.stats dd { margin: 0; font-size: 1.5rem; font-weight: 650; font-variant-numeric: tabular-nums; }
table { width: 100%; border-collapse: collapse; font-size: .92rem; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; overflow-wrap: anywhere; }
code { overflow-wrap: anywhere; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.url { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; display: block; overflow-wrap: anywhere; }
.pill { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: .8rem; font-weight: 600; background: #e8ecf3; color: var(--muted); }
.pill.ok { background: #e3f4ea; color: var(--ok); }
.pill.warn { background: #fdf0dc; color: var(--warn); }
.pill.bad { background: #fbe5e3; color: var(--bad); }
.muted { color: var(--muted); }
form.inline { display: flex; gap: 8px; align-items: end; flex-wrap: wrap; margin: 0 0 12px; }
label { display: block; font-size: .85rem; color: var(--muted); margin-bottom: 4px; }
input, select { font: inherit; padding: 6px 10px; border: 1px solid #b9c1cf; border-radius: 6px; background: #fff; min-width: 200px; }
button, .button { font: inherit; background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: 7px 14px; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary { background: #e8ecf3; color: var(--ink); }
.pager { display: flex; gap: 12px; margin-top: 12px; }
.notice { border-left: 4px solid var(--accent); background: #eef3fd; padding: 10px 14px; border-radius: 6px; margin-bottom: 16px; }
.notice.warn { border-color: var(--warn); background: #fdf6ea; }
.secret { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 1rem; background: #fff8e1; border: 1px dashed var(--warn); padding: 10px; border-radius: 6px; overflow-wrap: anywhere; }
ol.steps li { margin-bottom: 8px; }
figure { margin: 0; }
figcaption { font-size: .85rem; color: var(--muted); margin-top: 6px; }
svg.chart { width: 100%; height: auto; display: block; }
.legend { display: flex; gap: 14px; font-size: .85rem; color: var(--muted); margin-top: 6px; flex-wrap: wrap; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: baseline; }
.legend .c2 { background: #3a9a5b; } .legend .c3 { background: #7c8aa5; } .legend .c4 { background: #e09b2d; } .legend .c5 { background: #d0453a; }
.legend .active { background: #2457c5; } .legend .downgraded { background: #e09b2d; }
.signin { max-width: 380px; margin: 10vh auto; }
.signin input { width: 100%; margin-bottom: 12px; }
.empty { color: var(--muted); font-style: italic; }
`;
